"""Product search on the FTS5 index: words typed -> visible products, as fast at 1M products.

Each word typed is a prefix (``"молоко"* AND "классич"*``).  FTS5 streams a prefix of up to
``PREFIX_INDEX_MAX`` characters from a prefix index (schema step 12), and the LIMIT stops
it early; a longer prefix has no index, and FTS5 first merges the doclist of every term it
covers (for a word found in a fifth of a 1M-product catalog, tens of ms per query).  So a
longer word is matched by its first ``PREFIX_INDEX_MAX`` characters in the index, and the
whole prefix is checked here on the rows it streams, which finds exactly what the full
prefix would.  When the check turns down most of the rows streamed (a word typed wrong, or
one rare beside a common shorter prefix), the full query runs instead: it is cheap then,
because the terms it covers are rare.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata

from . import sql
from .models import Product

#: The longest prefix index of schema step 12 (prefix='1 2 3 4 5 6').
PREFIX_INDEX_MAX = 6
#: A broad word ("молоко" in a million products) matches tens of thousands of rows: only the
#: first SEARCH_CANDIDATES matches (by rowid) are ordered, so a search costs the same at any
#: catalog size (the cashier narrows a broad query by typing on).
SEARCH_CANDIDATES = 1000
#: Rows a shortened query may stream for the full-prefix check; when fewer than
#: SEARCH_CANDIDATES of them pass, the full query is asked instead (its terms are rare then).
CHECK_SCAN_MAX = 2 * SEARCH_CANDIDATES

# Variants sort next to their product: by the product's name, then the product before them.
_SEARCH_ORDER = (" ORDER BY COALESCE(parent.name, p.name), COALESCE(p.parent_sku, p.sku),"
                 " p.parent_sku IS NOT NULL, p.name, p.sku LIMIT ?")
_PRODUCTS = ("SELECT p.* FROM product p LEFT JOIN product parent ON parent.sku = p.parent_sku"
             " WHERE p.hidden = 0")
_SEARCH_FTS = (_PRODUCTS + " AND p.id IN (SELECT rowid FROM product_fts WHERE product_fts"
               f" MATCH ? LIMIT {SEARCH_CANDIDATES})" + _SEARCH_ORDER)
_SEARCH_ALL = _PRODUCTS + _SEARCH_ORDER

# unicode61's token characters: letters and digits; everything else separates tokens.
_TOKEN = re.compile(r"[^\W_]+")
# Text that may have accents to remove (Latin letters with them, or combining marks).
_ACCENTED = re.compile("[\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff]")
_ACCENT_GLOB = "*[\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff]*"


def search_key(name: str, sku: str) -> str:
    """Case-folded text searched by name and SKU (Cyrillic folds too: 'Молоко' ~ 'молоко')."""
    return f"{name} {sku}".casefold().replace("ё", "е")


def fold_token(token: str) -> str:
    """A token as ``unicode61 remove_diacritics 2`` indexes it: Latin letters lose their
    accents ('é' -> 'e'); Cyrillic keeps its letters ('й' stays 'й')."""
    if token.isascii():
        return token
    out = []
    for ch in unicodedata.normalize("NFD", token):
        if unicodedata.combining(ch) and out and "a" <= out[-1] <= "z":
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def query_words(q: str) -> list[list[str]]:
    """Words typed -> each word's tokens (as the index splits them: 'б-1300' is 'б', '1300'),
    folded like ``search_key``; words without a letter or digit are dropped; at most 8."""
    words = []
    for w in search_key(q or "", "").split():
        tokens = _TOKEN.findall(w)
        if tokens:
            words.append(tokens)
    return words[:8]


def _phrase(tokens: list[str]) -> str:
    return '"' + " ".join(tokens).replace('"', '""') + '"*'


def fts_query(q: str, shorten: bool = False) -> str | None:
    """Words typed -> an FTS5 query: every word a phrase whose last token is a prefix.

    Tokens are quoted, so FTS syntax in the input is plain text.  With ``shorten``, a last
    token longer than the longest prefix index is cut to it (the caller checks the rest).
    None if no word is left.
    """
    words = query_words(q)
    if not words:
        return None
    if shorten:
        words = [w[:-1] + [w[-1][:PREFIX_INDEX_MAX]] for w in words]
    return " ".join(_phrase(w) for w in words)


class _PrefixCheck:
    """Whether a row's search text has, for each long word typed, its tokens in a row with
    the last one a prefix of a token (what ``"б 1300"*`` means to FTS5)."""

    def __init__(self, words: list[list[str]]):
        self.words = [[fold_token(t) for t in w] for w in words
                      if len(w[-1]) > PREFIX_INDEX_MAX]

    def __bool__(self):
        return bool(self.words)

    def __call__(self, text: str) -> bool:
        if _ACCENTED.search(text):
            tokens = [fold_token(t) for t in _TOKEN.findall(text)]
        elif not all(w[-1] in text for w in self.words):
            return False  # the usual miss, found without splitting the text
        else:
            tokens = _TOKEN.findall(text)
        return all(_has_phrase(tokens, w) for w in self.words)


def _has_phrase(tokens: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    for i in range(len(tokens) - n + 1):
        if tokens[i + n - 1].startswith(phrase[-1]) and tokens[i:i + n - 1] == phrase[:-1]:
            return True
    return False


@functools.lru_cache(maxsize=64)
def _check_for(words_json: str) -> _PrefixCheck:
    return _PrefixCheck(json.loads(words_json))


def prefix_check(text, words_json) -> int:
    """SQL function ``search_prefix_ok(search_name, words)``: the exact check, for the rows
    the plain-text test in SQL cannot settle (accents, a word with a dash)."""
    return int(_check_for(words_json)(text or ""))


def _check_sql(check: _PrefixCheck) -> tuple[str, list]:
    """The check as SQL on ``p.search_name``: most rows are settled by ``instr`` in C (a long
    word after a space starts a token; a text without it and without accents has none);
    the rest go to ``search_prefix_ok``."""
    conds, params = [], []
    words_json = json.dumps(check.words, ensure_ascii=False)
    for w in check.words:
        if len(w) == 1:
            conds.append("CASE WHEN instr(' ' || p.search_name, ?) > 0 THEN 1"
                         " WHEN instr(p.search_name, ?) > 0 OR p.search_name GLOB ?"
                         " THEN search_prefix_ok(p.search_name, ?) ELSE 0 END")
            params += [" " + w[0], w[0], _ACCENT_GLOB, words_json]
        else:
            conds.append("search_prefix_ok(p.search_name, ?)")
            params.append(words_json)
    return " AND ".join(conds), params


def _search_checked(check: _PrefixCheck, match_short: str, limit: int) -> list[dict] | None:
    """The first SEARCH_CANDIDATES products matching the full query, streamed through the
    shortened one and checked in SQL, ordered; None when the check turned down so many
    rows that the stream was cut (ask the full query)."""
    cond, params = _check_sql(check)
    # s keeps the stream's rowid order; CROSS JOIN keeps s the outer loop, so the LIMIT
    # takes the first rows that pass, as the full query's LIMIT would
    found = sql.rows(
        f"WITH s AS MATERIALIZED (SELECT rowid AS id FROM product_fts WHERE product_fts MATCH ?"
        f" LIMIT {CHECK_SCAN_MAX}),"
        f" c AS MATERIALIZED (SELECT p.* FROM s CROSS JOIN product p ON p.id = s.id WHERE {cond}"
        f" LIMIT {SEARCH_CANDIDATES})"
        " SELECT p.*, (SELECT count(*) FROM s) AS _scanned, (SELECT count(*) FROM c) AS _kept"
        " FROM c p LEFT JOIN product parent ON parent.sku = p.parent_sku WHERE p.hidden = 0"
        + _SEARCH_ORDER, [match_short, *params, limit])
    if found:
        scanned, kept = found[0]["_scanned"], found[0]["_kept"]
    else:
        scanned, kept = sql.scalar(f"SELECT count(*) FROM (SELECT rowid FROM product_fts WHERE"
                                   f" product_fts MATCH ? LIMIT {CHECK_SCAN_MAX})",
                                   (match_short,)), 0
    if scanned >= CHECK_SCAN_MAX and kept < SEARCH_CANDIDATES:
        return None
    for row in found:
        del row["_scanned"], row["_kept"]
    return found


def search(q: str, limit: int = 20) -> list[Product]:
    """Visible products whose name or SKU has words starting with each word of ``q``.

    Results carry parent_sku; a variant comes right after its product (or its siblings), so
    the screen can group them.  An empty ``q`` lists products by name.
    """
    limit = max(1, min(int(limit), 200))
    if not (q or "").strip():
        return [Product(**r) for r in sql.rows(_SEARCH_ALL, (limit,))]
    words = query_words(q)
    if not words:
        return []
    check = _PrefixCheck(words)
    if check:
        found = _search_checked(check, fts_query(q, shorten=True), limit)
        if found is not None:
            return [Product(**r) for r in found]
    return [Product(**r) for r in sql.rows(_SEARCH_FTS, (fts_query(q), limit))]
