"""Language identification for `language:response_language`, and prose to write in.

IFEval asks `langdetect` for the language of the whole response; so does museslang,
with langdetect's random sampling seeded (IFEval leaves it unseeded, so its verdict on
a text that sits between two languages can change from run to run; here it cannot).
Codes are ISO 639-1 as langdetect returns them. `IFEVAL_CODES` are the 30 that IFEval's
own instruction accepts; another code is an error there (the check fails).

`PROSE` holds plain sentences per language (no commas, no all-capital words)
that the reference oracle writes its answers from.
"""

from __future__ import annotations

from functools import cache

# every code langdetect can return (its 55 profiles)
CODES = frozenset(
    "af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk "
    "ml mr ne nl no pa pl pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh-cn zh-tw".split()
)
IFEVAL_CODES = frozenset(
    "en es pt ar hi fr ru de ja it bn uk th ur ta te bg ko pl he fa vi ne sw kn mr gu pa ml "
    "fi".split()
)


@cache
def _detector() -> object:
    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0
    return detect


def detect(text: str) -> str | None:
    """The ISO 639-1 code langdetect gives the text, or None when it cannot tell (no
    letters): IFEval counts such a response as following the instruction."""
    from langdetect.lang_detect_exception import LangDetectException

    try:
        return _detector()(text)  # type: ignore[operator]
    except LangDetectException:
        return None


PROSE: dict[str, tuple[str, ...]] = {
    "en": (
        "The team shared the plan for the coming weeks.",
        "Every step of the work is written down in the notes.",
        "The draft was reviewed and the feedback was clear.",
        "We will meet again when the first results are in.",
        "The budget covers the tools and the training.",
        "This summary keeps the main points short.",
        "Each person knows what they are responsible for.",
        "The schedule leaves room for testing before the release.",
    ),
    "fr": (
        "Le projet avance bien et les résultats sont bons.",
        "Nous avons partagé le plan avec toute l'équipe.",
        "La réunion est prévue pour la semaine prochaine.",
        "Les notes de la discussion sont dans le dossier.",
        "Il faut encore vérifier les chiffres du rapport.",
        "Elle a préparé une version plus courte du texte.",
    ),
    "de": (
        "Das Projekt kommt gut voran und die Ergebnisse sind gut.",
        "Wir haben den Plan mit dem ganzen Team geteilt.",
        "Die Besprechung ist für die nächste Woche geplant.",
        "Die Notizen der Diskussion liegen in dem Ordner.",
        "Es ist noch nicht klar wann die Tests fertig sind.",
        "Sie hat eine kürzere Fassung des Textes vorbereitet.",
    ),
    "es": (
        "El proyecto avanza bien y los resultados son buenos.",
        "Hemos compartido el plan con todo el equipo.",
        "La reunión está prevista para la semana que viene.",
        "Las notas de la discusión están en la carpeta.",
        "Todavía hay que revisar las cifras del informe.",
        "Ella preparó una versión más corta del texto.",
    ),
    "it": (
        "Il progetto procede bene e i risultati sono buoni.",
        "Abbiamo condiviso il piano con tutta la squadra.",
        "La riunione è prevista per la settimana prossima.",
        "Le note della discussione sono nella cartella.",
        "Bisogna ancora controllare le cifre del rapporto.",
        "Lei ha preparato una versione più breve del testo.",
    ),
    "pt": (
        "O projeto avança bem e os resultados são bons.",
        "Nós partilhamos o plano com toda a equipa.",
        "A reunião está prevista para a próxima semana.",
        "As notas da discussão estão na pasta.",
        "Ainda é preciso verificar os números do relatório.",
        "Ela preparou uma versão mais curta do texto.",
    ),
    "nl": (
        "Het project gaat goed en de resultaten zijn goed.",
        "Wij hebben het plan met het hele team gedeeld.",
        "De vergadering is gepland voor de volgende week.",
        "De notities van de discussie staan in de map.",
        "Het is nog niet duidelijk wanneer de tests klaar zijn.",
        "Zij heeft een kortere versie van de tekst gemaakt.",
    ),
}
