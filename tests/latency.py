"""The latency histogram worked out in numpy, the reference the SQL of
queries.session_stats.latency_histogram is checked against and the chart tests draw from."""

from __future__ import annotations

import numpy as np
import pandas as pd

from queries import session_stats


def nearest_rank(values: np.ndarray, pct: float) -> float:
    """The value at rank ceil(pct/100 * n), as the queries compute percentiles."""
    return float(np.percentile(values, pct, method="inverted_cdf"))


def latency_bins(durations_ms: pd.Series, bins: int) -> pd.DataFrame:
    """Durations counted into the bins of session_stats.latency_axis, as the SQL counts them."""
    ms = pd.to_numeric(pd.Series(durations_ms), errors="coerce").dropna().astype("int64")
    if ms.empty:
        return pd.DataFrame(columns=session_stats.LATENCY_COLUMNS)
    values = ms.to_numpy()
    lo, hi = int(values.min()), int(values.max())
    p99 = nearest_rank(values, session_stats.OUTLIER_PCT * 100)
    top, width, n = session_stats.latency_axis(lo, hi, p99, bins)
    calls = np.bincount((values[values <= top] - lo) // width, minlength=n)
    beyond = (top + 1, hi + 1, int((values > top).sum())) if top < hi else None
    return session_stats.latency_frame(lo, width, calls, beyond)
