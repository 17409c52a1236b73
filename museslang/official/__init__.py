"""The official runners' own rules, as museslang reads them: how a reply is parsed
(`parse`, pure text) and how a stored result becomes the replies they score
(`replies`)."""
