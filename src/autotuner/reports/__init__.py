"""How results are shown: plain-text tables (terminal, e-mail), HTML and PNG charts."""
