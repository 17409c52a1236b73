"""Editor support: a language server over the checker (`museslang lsp`, the optional
`[lsp]` extra). `analysis`, `hover` and `complete` answer from a check and need no
editor; `server` speaks the protocol."""
