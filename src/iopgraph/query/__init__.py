"""SPARQL as text: the lexer, parameter binding, result formats, query errors, algebra, SERVICE screening."""
