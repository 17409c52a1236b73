"""The greeting family's part of the compiled ground truth: whom the answer must name."""

from pydantic import Field

from museslang.ir.models import IRModel


class Greeting(IRModel):
    names: list[str] = Field(description="every user, in the order they spoke")
