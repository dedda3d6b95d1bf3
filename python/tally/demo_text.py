"""Vectorised text building for the demo data: hex ids and ISO timestamps from numpy arrays.

Everything here turns whole numpy arrays into Arrow string arrays without a Python loop, so
a million rows take milliseconds.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# The two hex digits of each byte value, as a little-endian uint16 (first digit first).
_HEX_PAIRS = np.array(
    [ord(f"{b:02x}"[0]) | ord(f"{b:02x}"[1]) << 8 for b in range(256)], dtype="<u2"
)
_ASCII_ZERO = ord("0")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def fixed_width_strings(matrix: np.ndarray) -> pa.StringArray:
    """An Arrow string array from an (n, width) matrix of ASCII bytes, one row a string."""
    rows, width = matrix.shape
    offsets = np.arange(rows + 1, dtype=np.int64) * width
    data = np.ascontiguousarray(matrix, dtype=np.uint8)
    return pa.Array.from_buffers(
        pa.large_string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    ).cast(pa.string())


def mix64(values: np.ndarray, key: int) -> np.ndarray:
    """A bijection of 64-bit integers (SplitMix64's finaliser after adding a key).

    Distinct inputs give distinct outputs, so mixed serial numbers are unique ids that look
    random.
    """
    x = values.astype(np.uint64) + np.uint64(key & 0xFFFFFFFFFFFFFFFF)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return (x ^ (x >> np.uint64(31))) & _MASK64


def hex16(values: np.ndarray) -> pa.StringArray:
    """16 lowercase hex digits per unsigned 64-bit value."""
    big_endian = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    return fixed_width_strings(_HEX_PAIRS[big_endian].view(np.uint8).reshape(-1, 16))


def _digits(matrix: np.ndarray, column: int, values: np.ndarray, width: int) -> None:
    for position in range(width - 1, -1, -1):
        matrix[:, column + position] = _ASCII_ZERO + values % 10
        values = values // 10


def civil_from_epoch(seconds: np.ndarray) -> tuple[np.ndarray, ...]:
    """Year, month, day, hour, minute, second (UTC) of Unix epoch seconds (H. Hinnant)."""
    days, rest = np.divmod(seconds.astype(np.int64), 86_400)
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day, rest // 3_600, rest % 3_600 // 60, rest % 60


def _clock_matrix(values: tuple[np.ndarray, ...], widths: tuple[int, ...], sep: str) -> np.ndarray:
    """Fixed-width digit groups joined by a separator, one row per element."""
    width = sum(widths) + len(widths) - 1
    matrix = np.full((len(values[0]), width), ord(sep), dtype=np.int64)
    column = 0
    for group, size in zip(values, widths, strict=True):
        _digits(matrix, column, group, size)
        column += size + 1
    return matrix.astype(np.uint8)


@lru_cache(maxsize=1)
def _times_of_day() -> np.ndarray:
    """`HH:MM:SS` of every second of a day, as a (86400, 8) byte matrix."""
    second = np.arange(86_400, dtype=np.int64)
    return _clock_matrix((second // 3_600, second % 3_600 // 60, second % 60), (2, 2, 2), ":")


def iso_seconds(seconds: np.ndarray, suffix: str = "") -> pa.StringArray:
    """`YYYY-MM-DDTHH:MM:SS` (plus a fixed suffix such as `Z`) of Unix epoch seconds."""
    days, second_of_day = np.divmod(seconds.astype(np.int64), 86_400)
    if len(days) == 0:
        return pa.array([], type=pa.string())
    first = int(days.min())
    span = np.arange(first, int(days.max()) + 1, dtype=np.int64)
    year, month, day, *_ = civil_from_epoch(span * 86_400)
    dates = _clock_matrix((year, month, day), (4, 2, 2), "-")
    matrix = np.empty((len(days), 19 + len(suffix)), dtype=np.uint8)
    matrix[:, :10] = dates[days - first]
    matrix[:, 10] = ord("T")
    times = _times_of_day().view("<u8").ravel()  # 8 bytes a row: one integer
    matrix[:, 11:19] = times[second_of_day][:, None].view(np.uint8)
    for position, char in enumerate(suffix.encode("ascii")):
        matrix[:, 19 + position] = char
    return fixed_width_strings(matrix)


def month_index(seconds: np.ndarray) -> np.ndarray:
    """Months since January 1970 (UTC) of Unix epoch seconds."""
    return seconds.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)


def month_label(index: int) -> str:
    """`YYYY-MM` of a month index from `month_index`."""
    return f"{1970 + index // 12:04d}-{index % 12 + 1:02d}"


def month_number(label: str) -> int:
    """The month index (as `month_index`) of a `YYYY-MM` label."""
    year, month = (int(part) for part in label.split("-"))
    return (year - 1970) * 12 + month - 1


def pick(texts: pa.Array, codes: np.ndarray) -> pa.Array:
    """The texts at the given codes (a dictionary lookup)."""
    return texts.take(pa.array(codes, type=pa.int32()))


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string arrays and literal strings element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def int_text(values: np.ndarray) -> pa.Array:
    """Decimal text of integers."""
    return pc.cast(pa.array(values, type=pa.int64()), pa.string())
