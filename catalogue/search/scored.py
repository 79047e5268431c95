"""A match of one query part in one segment, as the fast path (`catalogue.search.scoring`) scores it."""

from __future__ import annotations

import numpy as np


class Scored:
    """Matching documents of one segment (a mask) with their scores (0 wherever the mask is False).

    A single word's match is kept as its postings (`ids`, ascending and distinct, and their
    `values`) and made a mask and a score array over the whole segment only when asked: an Or
    of words adds each word's postings into one array instead of one array per word."""

    def __init__(self, mask: np.ndarray | None = None, score: np.ndarray | None = None, *,
                 ids: np.ndarray | None = None, values: np.ndarray | None = None, size: int = 0):
        self._mask, self._score = mask, score
        self.ids, self.values, self.size = ids, values, size

    @property
    def sparse(self) -> bool:
        """Whether the match is still only its postings (`ids`, `values`)."""
        return self._mask is None

    @property
    def mask(self) -> np.ndarray:
        if self._mask is None:
            self._mask = np.zeros(self.size, dtype=bool)
            self._mask[self.ids] = True
        return self._mask

    @mask.setter
    def mask(self, value: np.ndarray) -> None:
        self._mask = value

    @property
    def score(self) -> np.ndarray:
        if self._score is None:
            self._score = np.zeros(self.size)
            self._score[self.ids] = self.values
        return self._score

    @score.setter
    def score(self, value: np.ndarray) -> None:
        self._score = value

    def add_to(self, mask: np.ndarray, score: np.ndarray) -> None:
        """Add this match into a segment's `mask` (or) and `score` (+), in place."""
        if self.sparse:
            mask[self.ids] = True
            score[self.ids] += self.values  # (ids are distinct: each posting added once)
        else:
            mask |= self._mask
            score += self.score
