"""End to end on a small demo data set: load, dbt build, and the marts reconcile exactly
with the generator's manifest (nothing silently dropped, quantities as generated)."""

from __future__ import annotations

from decimal import Decimal

from tally.warehouse import query

from .conftest import BuiltWarehouse

REASONS = (
    "malformed",
    "missing_field",
    "conflicting_duplicate",
    "unknown_event_type",
    "future_timestamp",
    "unmapped_subject",
    "invalid_quantity",
)


def test_dbt_build_passes_on_the_fixture_data(built_warehouse: BuiltWarehouse) -> None:
    assert built_warehouse.success, "\n".join(built_warehouse.failures)


def test_reconciliation_matches_the_manifest_exactly(built_warehouse: BuiltWarehouse) -> None:
    rows = query(
        "select * from marts.fct_event_reconciliation order by period_start_date",
        built_warehouse.database,
    )
    actual = {
        row["period_start_date"].strftime("%Y-%m"): {
            "landed": row["landed_count"],
            "billed": row["billed_count"],
            "filtered": row["filtered_count"],
            "duplicates": row["duplicate_count"],
            "quarantined": {reason: row[f"{reason}_count"] for reason in REASONS},
        }
        for row in rows
    }
    expected = {
        period: {
            "landed": counts["landed"],
            "billed": counts["billed"],
            "filtered": counts["filtered"],
            "duplicates": counts["duplicates"],
            "quarantined": {reason: counts["quarantined"].get(reason, 0) for reason in REASONS},
        }
        for period, counts in built_warehouse.manifest["periods"].items()
    }
    assert actual == expected


def test_every_landed_row_is_accounted_for(built_warehouse: BuiltWarehouse) -> None:
    rows = query(
        """
        select sum(landed_count) as landed,
            sum(billed_count + filtered_count + duplicate_count + quarantined_count) as accounted
        from marts.fct_event_reconciliation
        """,
        built_warehouse.database,
    )
    assert rows[0]["landed"] == built_warehouse.manifest["rows_landed"]
    assert rows[0]["accounted"] == rows[0]["landed"]


def test_usage_by_period_matches_the_generated_quantities(
    built_warehouse: BuiltWarehouse,
) -> None:
    rows = query(
        """
        select billing_account_id, meter_id, strftime(period_start_date, '%Y-%m') as period,
            sum(usage_quantity) as quantity
        from marts.fct_usage_by_period
        where aggregation in ('count', 'sum')
        group by all
        """,
        built_warehouse.database,
    )
    actual = {
        (row["billing_account_id"], row["meter_id"], row["period"]): row["quantity"] for row in rows
    }
    expected = {
        (item["billing_account_id"], item["meter_id"], item["period"]): Decimal(item["quantity"])
        for item in built_warehouse.manifest["expected_usage"]
    }
    assert actual == expected


def test_quarantine_keeps_the_row_as_received(built_warehouse: BuiltWarehouse) -> None:
    rows = query(
        """
        select quarantine_reason, count(*) as rows_quarantined,
            count(file_name) as with_file, count(line_number) as with_line
        from intermediate.int_events_quarantined
        group by all
        """,
        built_warehouse.database,
    )
    by_reason = {row["quarantine_reason"]: row for row in rows}
    totals = built_warehouse.manifest["totals"]["quarantined"]
    for reason, expected in totals.items():
        if expected:
            assert by_reason[reason]["rows_quarantined"] == expected
            assert by_reason[reason]["with_file"] == expected
            assert by_reason[reason]["with_line"] == expected


def test_quarantine_texts_are_those_of_the_raw_row(built_warehouse: BuiltWarehouse) -> None:
    # Each quarantined row carries the texts of exactly one raw row, the one its
    # raw_row_id (file sha256 ':' line) names, byte for byte; a line that could not be
    # split into fields keeps the line itself (the manifest's unparseable_rows).
    rows = query(
        """
        select
            count(*) as quarantined_rows,
            count(raw.raw_row_id) as matched_rows,
            count(case
                when quarantine.occurred_at_text is not distinct from raw.occurred_at
                    and quarantine.received_at_text is not distinct from raw.received_at
                    and quarantine.subject_text is not distinct from raw.subject
                    and quarantine.properties_text is not distinct from raw.properties
                    and quarantine.raw_record is not distinct from raw._raw_record
                    and quarantine.load_error is not distinct from raw._load_error
                    and quarantine.file_name = raw._file_name
                then 1 end) as identical_rows,
            count(quarantine.load_error) as unsplittable_rows,
            count(case when quarantine.load_error is not null
                then quarantine.raw_record end) as unsplittable_with_line
        from intermediate.int_events_quarantined as quarantine
        left join (
            select *, _file_sha256 || ':' || cast(_line_number as varchar) as raw_row_id
            from raw.usage_events
        ) as raw
            on quarantine.raw_row_id = raw.raw_row_id
        """,
        built_warehouse.database,
    )
    expected = sum(built_warehouse.manifest["totals"]["quarantined"].values())
    unsplittable = built_warehouse.manifest["unparseable_rows"]["rows"]
    assert rows == [
        {
            "quarantined_rows": expected,
            "matched_rows": expected,
            "identical_rows": expected,
            "unsplittable_rows": unsplittable,
            "unsplittable_with_line": unsplittable,
        }
    ]


def test_staging_writes_each_text_column_with_its_declared_compression(
    built_warehouse: BuiltWarehouse,
) -> None:
    # The staging contract's custom constraints declare the compression of the widest texts
    # (DECISIONLOG "Metering at 20M events"); DuckDB's default would be dictionary+FSST.
    rows = query(
        """
        select column_name, string_agg(distinct compression, ',' order by compression) as methods
        from pragma_storage_info('staging.stg_raw__usage_events')
        where column_name in ('raw_row_id', 'event_id', 'properties', 'event_type')
            and segment_type = 'VARCHAR'
        group by column_name
        """,
        built_warehouse.database,
    )
    assert {row["column_name"]: row["methods"] for row in rows} == {
        "raw_row_id": "ZSTD",
        "event_id": "Uncompressed",
        "properties": "ZSTD",
        "event_type": "DICT_FSST",
    }
