"""The report as one HTML page: the numbers, the lists and the charts, in template.html.

The page embeds plotly.js, so it works offline and loads nothing. Every number shown
carries `data-testid` / `data-field` and `data-value` attributes, so a test (or a person
with the browser's inspector) can trace it back to the marts.
"""

from __future__ import annotations

import html
import json
import string
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

from netsuite_sync.report.cells import currency_label, exact_value, format_amount
from netsuite_sync.report.charts import (
    amounts_by_currency_figure,
    differences_figure,
    status_by_month_figure,
)
from netsuite_sync.report.data import (
    ActionList,
    Cell,
    Column,
    CurrencyAmounts,
    ReportData,
    StatusCount,
    status_info,
)

TEMPLATE = "template.html"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _attrs(**attributes: str | int | None) -> str:
    """` name="value"` per attribute that is set; `class_` -> class, `data_x` -> data-x."""
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{_e(value)}"'
        for name, value in attributes.items()
        if value is not None
    )


def _el(tag: str, content: str = "", **attributes: str | int | None) -> str:
    """An element; `content` is HTML already (escape text with _e first)."""
    return f"<{tag}{_attrs(**attributes)}>{content}</{tag}>"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def _card(label: str, testid: str, value: int, note: str, tone: str = "") -> str:
    return _el(
        "div",
        _el("div", _e(label), class_="card-label")
        + _el("div", f"{value:,}", class_="card-value", data_testid=testid, data_value=value)
        + _el("div", _e(note), class_="card-note"),
        class_=f"card {tone}".strip(),
    )


def render_headline(data: ReportData) -> str:
    missing, mismatched, held = (data.count(g) for g in ("missing", "mismatched", "held"))
    return "".join(
        (
            _card("Invoices", "count-total", data.invoices, "seen in Metronome or NetSuite"),
            _card("Matched", "count-matched", data.count("matched"), "NetSuite agrees", "ok"),
            _card(
                "Missing", "count-missing", missing, "on one side only", "bad" if missing else ""
            ),
            _card(
                "Mismatched",
                "count-mismatched",
                mismatched,
                "on both sides, disagreeing",
                "bad" if mismatched else "",
            ),
            _card("Held", "count-held", held, "waiting for a fix", "warn" if held else ""),
            _card("Excluded", "count-excluded", data.count("excluded"), "not for NetSuite"),
        )
    )


def _money_line(label: str, testid: str, amount: Decimal, invoices: int) -> str:
    return _el(
        "div",
        _el("span", _e(label), class_="money-label")
        + _el(
            "span",
            format_amount(amount),
            class_="money",
            data_testid=testid,
            data_value=exact_value(amount),
        )
        + _el(
            "span",
            _plural(invoices, "invoice"),
            class_="money-count",
            data_testid=f"{testid}-invoices",
            data_value=invoices,
        ),
        class_="money-line",
    )


def _currency_card(c: CurrencyAmounts) -> str:
    key = c.currency or "none"
    note = ""
    if c.outstanding_without_amount:
        note = _el(
            "div",
            f"{_plural(c.outstanding_without_amount, 'outstanding invoice')} without an amount"
            " in Metronome (see Held)",
            class_="card-note",
            data_testid=f"amount-unknown-{key}-invoices",
            data_value=c.outstanding_without_amount,
        )
    return _el(
        "div",
        _el("div", _e(currency_label(c.currency)), class_="card-label")
        + _money_line("Matched", f"amount-matched-{key}", c.matched, c.matched_invoices)
        + _money_line(
            "Outstanding", f"amount-outstanding-{key}", c.outstanding, c.outstanding_invoices
        )
        + _money_line("Excluded", f"amount-excluded-{key}", c.excluded, c.excluded_invoices)
        + note,
        class_="card currency",
        data_testid=f"currency-{key}",
    )


def render_currencies(currencies: Sequence[CurrencyAmounts]) -> str:
    return "".join(_currency_card(c) for c in currencies) or _el(
        "p", "No invoices.", class_="empty"
    )


def _badge(status: str) -> str:
    info = status_info(status)
    badge = _el("span", _e(info.label), class_="badge", style=f"--c:{info.color}")
    return _el("td", badge, data_field="status", data_value=status)


def render_status_table(statuses: Sequence[StatusCount]) -> str:
    rows = "".join(
        _el(
            "tr",
            _badge(s.status)
            + _el("td", _e(status_info(s.status).action))
            + _el(
                "td",
                f"{s.invoices:,}",
                class_="num",
                data_testid=f"status-count-{s.status}",
                data_value=s.invoices,
            ),
        )
        for s in statuses
    )
    head = '<tr><th>Status</th><th>What to do</th><th class="num">Invoices</th></tr>'
    return _el("table", _el("thead", head) + _el("tbody", rows), class_="statuses")


def _compare_html(column: Column, cell: Cell) -> str:
    sides = ""
    if cell.compare is not None:
        for side, field, value in zip(
            ("Metronome", "NetSuite"),
            ("metronome_value", "netsuite_value"),
            cell.compare,
            strict=True,
        ):
            shown = _el("span", _e(value.text), data_field=field, data_value=value.value)
            sides += _el("div", _el("span", side, class_="side") + " " + shown)
    content = _el("div", _e(cell.text), class_="what") + sides
    return _el("td", content, class_="compare", data_field=column.field, data_value=cell.value)


def _cell_html(column: Column, cell: Cell) -> str:
    if column.kind == "status":
        return _badge(cell.value or "")
    if column.kind == "compare":
        return _compare_html(column, cell)
    classes = {"amount": "num", "id": "id", "wrap": "wrap"}.get(column.kind)
    return _el("td", _e(cell.text), class_=classes, data_field=column.field, data_value=cell.value)


def render_action_list(action_list: ActionList) -> str:
    key, shown, total = action_list.key, len(action_list.rows), action_list.total
    more = total - shown
    header = "".join(
        _el("th", _e(c.heading), class_="num" if c.kind == "amount" else None)
        for c in action_list.columns
    )
    body = "".join(
        _el(
            "tr",
            "".join(_cell_html(c, cell) for c, cell in zip(action_list.columns, row, strict=True)),
            data_testid="row",
        )
        for row in action_list.rows
    )
    if shown:
        table = _el(
            "div",
            _el(
                "table",
                _el("thead", _el("tr", header)) + _el("tbody", body),
                data_testid=f"list-{key}",
            ),
            class_="table-wrap",
        )
    else:
        table = _el("p", f"Nothing {_e(action_list.title.lower())}.", class_="empty")
    counter = _el(
        "span", f"{total:,}", class_="count", data_testid=f"list-{key}-total", data_value=total
    )
    showing = f", showing the first {shown:,}" if more > 0 else ""
    intro = f"{_e(action_list.intro)} {total:,} {_e(action_list.unit)}{showing}."
    more_line = (
        _el(
            "p",
            f"{more:,} more not shown: query the marts for the full list.",
            class_="more",
            data_testid=f"list-{key}-more",
            data_value=more,
        )
        if more > 0
        else ""
    )
    return _el(
        "section",
        _el("h2", f"{_e(action_list.title)} {counter}")
        + _el("p", intro, class_="intro")
        + table
        + more_line,
        class_="list",
        id=key,
    )


def _chart_json(figure: dict[str, Any]) -> str:
    # Inside <script type="application/json">: no "</script>" can close it early.
    text = json.dumps(figure, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _chart(key: str, title: str, note: str, figure: dict[str, Any] | None, empty: str) -> str:
    if figure is None:
        body = _el("p", _e(empty), class_="empty", data_testid=f"chart-{key}-empty")
    else:
        spec_id = f"chart-{key}-spec"
        body = _el("div", class_="chart", data_testid=f"chart-{key}", data_chart=spec_id) + _el(
            "script", _chart_json(figure), type="application/json", id=spec_id
        )
    return _el(
        "figure", _el("h3", _e(title)) + _el("p", _e(note), class_="note") + body, class_="panel"
    )


def render_charts(data: ReportData) -> str:
    return "".join(
        (
            _chart(
                "status-by-month",
                "Invoices by status and billing month",
                "Each bar is a billing month, split by reconciliation status.",
                status_by_month_figure(data.months) if data.months else None,
                "No invoices.",
            ),
            _chart(
                "amounts-by-currency",
                "Matched vs outstanding, per currency",
                "Outstanding: missing, mismatched and held invoices. Excluded ones are not "
                "expected in NetSuite.",
                amounts_by_currency_figure(data.currencies) if data.currencies else None,
                "No invoices.",
            ),
            _chart(
                "differences",
                "Largest differences",
                f"The {len(data.differences)} largest gaps, NetSuite minus Metronome per invoice; "
                "an invoice missing on one side counts in full. Held and excluded invoices are "
                "left out.",
                differences_figure(data.differences) if data.differences else None,
                "No differences: NetSuite's amounts agree with Metronome's.",
            ),
        )
    )


def _template() -> string.Template:
    text = resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")
    return string.Template(text)


def render_report(data: ReportData, *, source: str, generated_at: datetime) -> str:
    from plotly.offline import get_plotlyjs  # 4.8 MB of JavaScript, read only here

    generated = generated_at.astimezone(UTC)
    return _template().substitute(
        title="Metronome to NetSuite reconciliation",
        source=_e(source),
        generated_at=_e(generated.strftime("%Y-%m-%d %H:%M UTC")),
        generated_at_iso=_e(generated.isoformat(timespec="seconds")),
        headline=render_headline(data),
        currencies=render_currencies(data.currencies),
        charts=render_charts(data),
        statuses=render_status_table(data.statuses),
        lists="".join(render_action_list(action_list) for action_list in data.lists),
        plotly_js=get_plotlyjs(),
    )
