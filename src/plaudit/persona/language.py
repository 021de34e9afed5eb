"""The segment language: a hand-written tokenizer and recursive-descent parser (the
evaluator is `plaudit.persona.engine`). The grammar is in
docs/segments.md; every error is an `InvalidInput` naming the column (1-based) and, when a
name is misspelt, the closest known name (difflib).

    city_tier in (1, new1) and age in 25..35 and spend >= 5000 and gender = female
        and not interest.gaming
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from pyroaring import BitMap

from plaudit.errors import InvalidInput
from plaudit.persona.taxonomy import (
    FAMILIES,
    SPEND_BANDS,
    TAGS_BY_ID,
)

__all__ = [
    "Ages",
    "And",
    "Expr",
    "Not",
    "Or",
    "Resolver",
    "SegmentRef",
    "Tags",
    "parse",
]

MAX_LENGTH = 4000
MAX_DEPTH = 64
KEYWORDS = ("and", "or", "not", "in")
AGE_MAX = 150  # the top of the 60_plus band
_FAMILY_IDS = tuple(f.id for f in FAMILIES)
_SPEND_BOUNDS = sorted({lo for *_, lo, _hi in SPEND_BANDS} | {10000})


# ---- AST ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tags:
    """Accounts carrying any of these tags."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class Ages:
    """Accounts aged lo to hi (inclusive) at the refresh."""

    lo: int
    hi: int


@dataclass(frozen=True)
class SegmentRef:
    name: str


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]


Expr = Tags | Ages | SegmentRef | Not | And | Or


# ---- tokens ------------------------------------------------------------------------------


class Token(NamedTuple):
    kind: str  # word number segment op ( ) , .. end
    text: str
    column: int


def _error(message: str, column: int, hint: str = "") -> InvalidInput:
    """'<message> at column <n>[; <hint>]': the position first, then how to fix it."""
    return InvalidInput(f"{message} at column {column}{hint}", field="expression", column=column)


def _suggest(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch, col = text[i], i + 1
        if ch.isspace():
            i += 1
        elif text.startswith("..", i):
            tokens.append(Token("..", "..", col))
            i += 2
        elif ch in "(),":
            tokens.append(Token(ch, ch, col))
            i += 1
        elif ch in "<>!=":
            op = text[i : i + 2] if text[i : i + 2] in {"<=", ">=", "!=", "=="} else ch
            if op == "!":
                raise _error("unexpected '!' (use != or not)", col)
            tokens.append(Token("op", "=" if op == "==" else op, col))
            i += len(op)
        elif _is_word_char(ch):
            j = i
            while j < n and (
                _is_word_char(text[j])
                or (text[j] == "." and text[j + 1 : j + 2] != "." and j + 1 < n)
            ):
                j += 1
            word = text[i:j].lower()
            if word == "segment" and text[j : j + 1] == ":":
                k = j + 1
                while k < n and _is_word_char(text[k]):
                    k += 1
                if k == j + 1:
                    raise _error("expected a segment name after 'segment:'", k + 1)
                tokens.append(Token("segment", text[j + 1 : k], col))
                i = k
                continue
            kind = "number" if word.isdigit() else "word"
            tokens.append(Token(kind, word, col))
            i = j
        else:
            raise _error(f"unexpected character {ch!r}", col)
    tokens.append(Token("end", "", n + 1))
    return tokens


# ---- parser ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at_word(self, word: str) -> bool:
        return self.peek.kind == "word" and self.peek.text == word

    def expect(self, kind: str, what: str) -> Token:
        if self.peek.kind != kind:
            raise _error(f"expected {what}, found {_describe(self.peek)}", self.peek.column)
        return self.take()

    def expression(self) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(f"expression nested deeper than {MAX_DEPTH} levels", self.peek.column)
        operands = [self.conjunction()]
        while self.at_word("or"):
            self.take()
            operands.append(self.conjunction())
        self.depth -= 1
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def conjunction(self) -> Expr:
        operands = [self.negation()]
        while self.at_word("and"):
            self.take()
            operands.append(self.negation())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def negation(self) -> Expr:
        if self.at_word("not"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _error(f"more than {MAX_DEPTH} nested 'not'", self.peek.column)
            inner = self.negation()
            self.depth -= 1
            return Not(inner)
        return self.primary()

    def primary(self) -> Expr:
        token = self.peek
        if token.kind == "(":
            self.take()
            inner = self.expression()
            self.expect(")", "')'")
            return inner
        if token.kind == "segment":
            self.take()
            return SegmentRef(token.text)
        if token.kind == "word" and token.text not in KEYWORDS:
            self.take()
            if token.text in _FAMILY_IDS:
                return self.predicate(token)
            return _bare_tag(token)
        raise _error(f"expected a tag, a condition or '(', found {_describe(token)}", token.column)

    def predicate(self, family: Token) -> Expr:
        token = self.peek
        if token.kind == "op":
            self.take()
            if token.text in {"=", "!="}:
                value = self.value()
                expr = _equals(family, value)
                return Not(expr) if token.text == "!=" else expr
            return _compare(family, token.text, self.expect("number", "a number"))
        negate = False
        if self.at_word("not") and self.tokens[self.pos + 1].text == "in":
            self.take()
            negate = True
        if self.at_word("in"):
            self.take()
            expr = self.membership(family)
            return Not(expr) if negate else expr
        raise _error(
            f"expected =, !=, in, <, <=, > or >= after '{family.text}', found {_describe(token)}",
            token.column,
        )

    def value(self) -> Token:
        if self.peek.kind in {"word", "number"}:
            return self.take()
        raise _error(f"expected a value, found {_describe(self.peek)}", self.peek.column)

    def membership(self, family: Token) -> Expr:
        if self.peek.kind == "number" and self.tokens[self.pos + 1].kind == "..":
            lo = self.take()
            self.take()
            hi = self.expect("number", "a number after '..'")
            return _range(family, lo, hi)
        self.expect("(", "'(' or a range a..b")
        values = [self.value()]
        while self.peek.kind == ",":
            self.take()
            values.append(self.value())
        self.expect(")", "',' or ')'")
        parts = [_equals(family, v) for v in values]
        return _union(parts)


def _describe(token: Token) -> str:
    return "the end" if token.kind == "end" else f"'{token.text}'"


def _bare_tag(token: Token) -> Expr:
    if token.text in TAGS_BY_ID:
        return Tags((token.text,))
    head = token.text.split(".", 1)[0]
    if head in _FAMILY_IDS:
        candidates = [t for t in TAGS_BY_ID if t.startswith(head + ".")]
    else:
        candidates = [*_FAMILY_IDS, *TAGS_BY_ID]
    raise _error(f"unknown tag '{token.text}'", token.column, _suggest(token.text, candidates))


def _equals(family: Token, value: Token) -> Expr:
    if family.text == "age" and value.kind == "number":
        years = int(value.text)
        return Ages(years, years)
    if family.text == "spend" and value.kind == "number":
        raise _error(
            "spend is known as bands",
            value.column,
            "; compare it (spend >= 5000, spend in 1000..5000) or name a band (spend = 5000_10000)",
        )
    tag_id = f"{family.text}.{value.text}"
    if tag_id in TAGS_BY_ID:
        return Tags((tag_id,))
    values = [t.split(".", 1)[1] for t in TAGS_BY_ID if t.startswith(family.text + ".")]
    hint = _suggest(value.text, values)
    raise _error(f"unknown {family.text} '{value.text}'", value.column, hint)


def _number(token: Token) -> int:
    if len(token.text) > 9:
        raise _error(f"number '{token.text}' is too large", token.column)
    return int(token.text)


def _compare(family: Token, op: str, number: Token) -> Expr:
    value = _number(number)
    if family.text == "age":
        lo, hi = {"<": (0, value - 1), "<=": (0, value), ">": (value + 1, AGE_MAX)}.get(
            op, (value, AGE_MAX)
        )
        return Ages(lo, hi)
    if family.text == "spend":
        bound = _spend_bound(number)
        if op in {">", ">="}:
            return _spend_bands(bound, None)
        return _spend_bands(0, bound)
    raise _error(f"'{family.text}' is not ordered: use = or in (...)", number.column)


def _range(family: Token, lo: Token, hi: Token) -> Expr:
    a, b = _number(lo), _number(hi)
    if a > b:
        raise _error(f"empty range {a}..{b}: the lower bound comes first", lo.column)
    if family.text == "age":
        return Ages(a, b)
    if family.text == "spend":
        return _spend_bands(_spend_bound(lo), _spend_bound(hi))
    raise _error(f"'{family.text}' is not ordered: ranges apply to age and spend", lo.column)


def _spend_bound(token: Token) -> int:
    value = _number(token)
    if value not in _SPEND_BOUNDS:
        below = max((b for b in _SPEND_BOUNDS if b < value), default=0)
        above = min((b for b in _SPEND_BOUNDS if b > value), default=10000)
        raise _error(
            f"spend {value} falls inside a band",
            token.column,
            f"; use a band boundary such as {below} or {above} "
            f"(bounds: {', '.join(map(str, _SPEND_BOUNDS))})",
        )
    return value


def _spend_bands(lo: int, hi: int | None) -> Expr:
    """Bands lying wholly in [lo, hi) (hi None: no upper bound)."""
    ids = tuple(
        f"spend.{suffix}"
        for suffix, _v, band_lo, band_hi in SPEND_BANDS
        if band_lo >= lo and (hi is None or (band_hi is not None and band_hi <= hi))
    )
    return Tags(ids)


def _union(parts: list[Expr]) -> Expr:
    if all(isinstance(p, Tags) for p in parts):
        ids: list[str] = []
        for p in parts:
            assert isinstance(p, Tags)
            ids.extend(i for i in p.ids if i not in ids)
        return Tags(tuple(ids))
    return parts[0] if len(parts) == 1 else Or(tuple(parts))


def parse(text: str) -> Expr:
    """Parse a segment expression into its AST; raise InvalidInput at the first error."""
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"expression longer than {MAX_LENGTH} characters", field="expression")
    parser = _Parser(tokenize(text))
    if parser.peek.kind == "end":
        raise _error("empty expression", 1)
    expr = parser.expression()
    end = parser.peek
    if end.kind != "end":
        raise _error(f"expected 'and', 'or' or the end, found {_describe(end)}", end.column)
    return expr


# ---- evaluation (plaudit.persona.engine) ------------------------------------------------

Resolver = Callable[[str], "str | BitMap"]
"""Gives the expression (or, for a saved lookalike audience, the accounts) of a saved
segment; raises NotFound when there is none."""
