from c2core.sizes import human_bytes


def test_decimal_units_one_decimal():
    assert human_bytes(0) == "0 B"
    assert human_bytes(999) == "999 B"
    assert human_bytes(1000) == "1.0 KB"
    assert human_bytes(10_728) == "10.7 KB"
    assert human_bytes(18_600_000) == "18.6 MB"
    assert human_bytes(3 * 10**12) == "3000.0 GB"  # GB is the largest unit
