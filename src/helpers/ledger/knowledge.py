"""The knowledge base (``data/knowledge/*.csv``) as one small object with lookups.

Everything the checks know about diseases, drugs, adverse events, baseline distributions and the
fields of affiliations lives in the CSV files described in ``data/knowledge/README.md``; this
module only reads them and answers questions about them:

* :meth:`KnowledgeBase.terms` -- vocabulary entries a printed term matches (case-insensitive, on
  the canonical term or any synonym; hyphens, spacing and a plural ``s`` do not matter);
* :meth:`KnowledgeBase.disease` -- the disease a key, name or synonym names;
* :meth:`KnowledgeBase.drug`, :meth:`KnowledgeBase.drug_class`, :meth:`KnowledgeBase.regimen` --
  a drug, its class, a named regimen;
* :meth:`KnowledgeBase.events_of` -- the adverse events of a drug (its own rows and its class's);
  :meth:`KnowledgeBase.event_rows` -- every drug or class known to cause an event;
* :meth:`KnowledgeBase.baseline` -- the cited baseline ranges of a disease;
* :meth:`KnowledgeBase.field_of` -- the field of an affiliation's unit (whole-word keyword match,
  the longest keyword wins);
* :meth:`KnowledgeBase.source`, :meth:`KnowledgeBase.cite` -- a source and a short citation text.

:func:`knowledge_base` loads it once per process (per folder).

Example
-------
>>> kb = knowledge_base()                                    # doctest: +SKIP
>>> [e.term for e in kb.terms("Barcelona Clinic Liver Cancer")]   # doctest: +SKIP
['BCLC']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..core.paths import project_root

FILES = ("sources", "diseases", "vocabulary", "drugs", "regimens", "adverse_events", "baseline",
         "fields")

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u02bc"), "'")


def normalise(text) -> str:
    """Lower case, one kind of dash and quote, single spaces (``'Hand–Foot  Syndrome'`` ->
    ``'hand-foot syndrome'``)."""
    s = unicodedata.normalize("NFKC", str(text or "")).translate(_DASHES).translate(_QUOTES)
    return re.sub(r"\s+", " ", s).strip().lower()


def compact(text) -> str:
    """:func:`normalise` without anything but letters and digits (``'CA 19-9'`` -> ``'ca199'``)."""
    return re.sub(r"[^0-9a-zα-ω]", "", normalise(text))


def _singular(key: str) -> str:
    if len(key) > 4 and re.search(r"(sh|ch|ss|x|z)es$", key):
        return key[:-2]
    if len(key) > 3 and key.endswith("s") and not key.endswith("ss"):
        return key[:-1]
    return key


def keys_of(text) -> set[str]:
    """The match keys of a spelling: its compact form and its compact singular."""
    return set(_keys_of(str(text or "")))


@lru_cache(maxsize=65536)
def _keys_of(text: str) -> frozenset[str]:
    c = compact(text)
    return frozenset({c, _singular(c)} - {""})


def split_list(cell) -> list[str]:
    """A ``|``-separated cell as a list (empty cell -> ``[]``)."""
    s = str(cell or "").strip()
    return [p.strip() for p in s.split("|") if p.strip()] if s else []


def _num(cell) -> float | None:
    s = str(cell or "").strip()
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        return None


@dataclass(frozen=True)
class VocabEntry:
    """One row of ``vocabulary.csv``."""

    term: str
    synonyms: tuple[str, ...]
    category: str
    diseases: tuple[str, ...]
    organs: tuple[str, ...]
    specificity: str          # specific | suggestive | general
    citation: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class EventRow:
    """One row of ``adverse_events.csv``: what a drug or class typically causes."""

    drug: str                 # drug key or class key
    event: str
    synonyms: tuple[str, ...]
    any_low: float | None
    any_high: float | None
    g3_low: float | None
    g3_high: float | None
    characteristic: bool
    opposite: str
    confidence: str
    citation: tuple[str, ...]
    note: str = ""

    def matches(self, text: str) -> bool:
        return bool(keys_of(text) & _spelling_keys(self.event, self.synonyms))


@lru_cache(maxsize=4096)
def _spelling_keys(event: str, synonyms: tuple[str, ...]) -> frozenset[str]:
    return frozenset().union(*(_keys_of(s) for s in (event, *synonyms)))


@dataclass(frozen=True)
class BaselineRange:
    """One row of ``baseline.csv``."""

    disease: str
    variable: str
    statistic: str            # share | mean | median
    low: float
    high: float
    unit: str
    population: str
    confidence: str
    citation: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class FieldEntry:
    """One row of ``fields.csv``."""

    keyword: str
    field: str
    clinical: bool
    oncology_relevant: str    # yes | no | possible
    citation: tuple[str, ...]
    note: str = ""


class KnowledgeBase:
    """The tables of ``data/knowledge/`` (all cells text) with the lookups of the module docstring."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root else project_root() / "data" / "knowledge"
        self.tables: dict[str, pd.DataFrame] = {}
        for name in FILES:
            file = self.root / f"{name}.csv"
            self.tables[name] = (pd.read_csv(file, dtype=str, keep_default_na=False)
                                 if file.is_file() else pd.DataFrame())
        self._vocab = [VocabEntry(r["term"], tuple(split_list(r.get("synonyms"))), r["category"],
                                  tuple(split_list(r.get("diseases"))),
                                  tuple(split_list(r.get("organs"))),
                                  r.get("specificity", "") or "general",
                                  tuple(split_list(r.get("citation"))), r.get("note", ""))
                       for r in self._rows("vocabulary")]
        self._vocab_index = self._index(((e.term, *e.synonyms), e) for e in self._vocab)
        self._diseases = {r["key"]: r for r in self._rows("diseases")}
        self._disease_index = self._index(((k, r["name"], *split_list(r.get("synonyms"))), k)
                                          for k, r in self._diseases.items())
        self._drugs = {r["key"]: r for r in self._rows("drugs")}
        self._drug_index = self._index(((k, r["name"], *split_list(r.get("synonyms"))), k)
                                       for k, r in self._drugs.items())
        self._classes = {r["drug_class"] for r in self._drugs.values() if r.get("drug_class")}
        self._class_index = self._index(((c, c.replace("_", " ")), c) for c in self._classes)
        self._regimens = {r["key"]: r for r in self._rows("regimens")}
        self._regimen_index = self._index(((k, r["name"], *split_list(r.get("synonyms"))), k)
                                          for k, r in self._regimens.items())
        self._events = [EventRow(r["drug"], r["event"], tuple(split_list(r.get("synonyms"))),
                                 _num(r.get("any_low")), _num(r.get("any_high")),
                                 _num(r.get("g3_low")), _num(r.get("g3_high")),
                                 str(r.get("characteristic", "")).strip().lower() == "yes",
                                 r.get("opposite", ""), r.get("confidence", "") or "high",
                                 tuple(split_list(r.get("citation"))), r.get("note", ""))
                        for r in self._rows("adverse_events")]
        self._baseline = [BaselineRange(r["disease"], r["variable"], r["statistic"],
                                        float(r["low"]), float(r["high"]), r.get("unit", ""),
                                        r.get("population", ""), r.get("confidence", "") or "high",
                                        tuple(split_list(r.get("citation"))), r.get("note", ""))
                          for r in self._rows("baseline")
                          if _num(r.get("low")) is not None and _num(r.get("high")) is not None]
        self._fields = [FieldEntry(r["keyword"], r["field"],
                                   str(r.get("clinical", "")).strip().lower() == "yes",
                                   (r.get("oncology_relevant", "") or "").strip().lower(),
                                   tuple(split_list(r.get("citation"))), r.get("note", ""))
                        for r in self._rows("fields")]
        self._sources = {r["key"]: r for r in self._rows("sources")}

    # ------------------------------------------------------------------ helpers
    def _rows(self, name: str) -> list[dict]:
        df = self.tables.get(name)
        return [] if df is None or df.empty else df.to_dict(orient="records")

    @staticmethod
    def _index(pairs) -> dict[str, list]:
        out: dict[str, list] = {}
        for spellings, value in pairs:
            for s in spellings:
                for k in keys_of(s):
                    bucket = out.setdefault(k, [])
                    if value not in bucket:
                        bucket.append(value)
        return out

    @staticmethod
    def _lookup(index: dict[str, list], text) -> list:
        out = []
        c = compact(text)
        for k in ([c] if c in index else []) + [k for k in keys_of(text) if k != c]:
            for v in index.get(k, []):
                if v not in out:
                    out.append(v)
        return out

    # ------------------------------------------------------------------ vocabulary, diseases
    def terms(self, text) -> list[VocabEntry]:
        """Vocabulary entries whose term or a synonym is ``text`` (case-insensitive)."""
        return self._lookup(self._vocab_index, text)

    def disease(self, text) -> str | None:
        """The disease key that ``text`` (a key, name or synonym) names, or None."""
        hits = self._lookup(self._disease_index, text)
        return hits[0] if hits else None

    def disease_name(self, key: str) -> str:
        return self._diseases.get(key, {}).get("name", key)

    def organ_of(self, disease: str) -> str:
        return self._diseases.get(disease, {}).get("organ", "")

    def disease_citation(self, key: str) -> tuple[str, ...]:
        return tuple(split_list(self._diseases.get(key, {}).get("citation")))

    @property
    def disease_keys(self) -> list[str]:
        return list(self._diseases)

    # ------------------------------------------------------------------ drugs and regimens
    def drug(self, text) -> str | None:
        """The drug key ``text`` names (key, name or synonym), or None."""
        hits = self._lookup(self._drug_index, text)
        return hits[0] if hits else None

    @property
    def drug_keys(self) -> list[str]:
        return list(self._drugs)

    def drug_row(self, key: str) -> dict:
        return dict(self._drugs.get(key, {}))

    def drug_class(self, drug: str) -> str:
        """The class key of a drug key ('' when unknown)."""
        return self._drugs.get(drug, {}).get("drug_class", "")

    def klass(self, text) -> str | None:
        """The drug-class key ``text`` names (``vegfr_tki``, ``vegfr tki``), or None."""
        hits = self._lookup(self._class_index, text)
        return hits[0] if hits else None

    def drugs_of_class(self, klass: str) -> list[str]:
        return [k for k, r in self._drugs.items() if r.get("drug_class") == klass]

    def regimen(self, text) -> str | None:
        """The regimen key ``text`` names, or None."""
        hits = self._lookup(self._regimen_index, text)
        return hits[0] if hits else None

    def regimen_drugs(self, key: str) -> list[str]:
        return split_list(self._regimens.get(key, {}).get("drugs"))

    def regimen_row(self, key: str) -> dict:
        return dict(self._regimens.get(key, {}))

    # ------------------------------------------------------------------ adverse events
    def events_of(self, drug_or_class: str) -> list[EventRow]:
        """Adverse-event rows of a drug key (with its class's rows) or of a class key."""
        keys = {drug_or_class}
        if drug_or_class in self._drugs:
            keys.add(self.drug_class(drug_or_class))
        return [e for e in self._events if e.drug in keys]

    def event_spellings(self, event: str) -> list[str]:
        """``event`` and the spellings of the adverse-event vocabulary entries it matches."""
        out = [event]
        for v in self.terms(event):
            if v.category == "adverse_event":
                out += [v.term, *v.synonyms]
        return out

    def event_rows(self, event: str) -> list[EventRow]:
        """Every row (any drug or class) whose event or synonyms match ``event`` or a spelling
        of the adverse-event vocabulary entry ``event`` names."""
        spellings = self.event_spellings(event)
        return [e for e in self._events if any(e.matches(s) for s in spellings)]

    @property
    def events(self) -> list[EventRow]:
        return list(self._events)

    # ------------------------------------------------------------------ baseline, fields, sources
    def baseline(self, disease: str | None = None, variable: str | None = None) -> list[BaselineRange]:
        """Cited baseline ranges (of one disease and/or one variable)."""
        return [b for b in self._baseline if (disease is None or b.disease == disease)
                and (variable is None or b.variable == variable)]

    def field_of(self, unit) -> FieldEntry | None:
        """The field whose keyword occurs in ``unit`` as whole words (the longest keyword wins)."""
        text = normalise(unit)
        if not text:
            return None
        best = None
        for f in self._fields:
            kw = normalise(f.keyword)
            if kw and re.search(r"(?<![0-9a-z])" + re.escape(kw) + r"(?![0-9a-z])", text):
                if best is None or len(kw) > len(normalise(best.keyword)):
                    best = f
        return best

    def fields_matching(self, keyword) -> list[FieldEntry]:
        """Field entries whose keyword equals ``keyword`` (case-insensitive)."""
        return [f for f in self._fields if normalise(f.keyword) == normalise(keyword)]

    def source(self, key: str) -> dict:
        return dict(self._sources.get(key, {}))

    def cite(self, keys) -> str:
        """A short citation text for source keys (``'Llovet 2008; Reig 2022'``)."""
        keys = split_list(keys) if isinstance(keys, str) else list(keys)
        out = []
        for k in keys:
            s = self._sources.get(k)
            if not s:
                out.append(k)
                continue
            first = re.split(r"[,(]", str(s.get("authors", "")))[0].strip()
            first = first.split(" ")[0] if " " in first and not first.isupper() else first
            year = str(s.get("year", "")).strip()
            out.append(f"{first} {year}".strip() or k)
        return "; ".join(out)


@lru_cache(maxsize=4)
def _cached(root: str) -> KnowledgeBase:
    return KnowledgeBase(root)


def knowledge_base(root: Path | str | None = None) -> KnowledgeBase:
    """The knowledge base of ``root`` (default ``data/knowledge``), loaded once per process."""
    path = Path(root) if root else project_root() / "data" / "knowledge"
    return _cached(str(path.resolve()))
