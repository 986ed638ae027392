"""The report's charts as plotly figure specs (plain dicts; plotly.js draws them).

Charts are the one place amounts become floats; their labels stay exact decimal text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from netsuite_sync.report.cells import amount_text, currency_label, format_amount, month_label
from netsuite_sync.report.data import (
    STATUSES,
    CurrencyAmounts,
    Difference,
    MonthStatusCount,
    status_info,
    status_order,
)


def _layout(**overrides: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 60, "r": 20, "t": 10, "b": 50},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.2},
        "hoverlabel": {"font": {"family": "ui-monospace, monospace"}},
    }
    layout.update(overrides)
    return layout


def _chart_order(status: str) -> tuple[int, int]:
    # Stacks read bottom-up: matched, then excluded and held, then what needs action.
    groups = ("matched", "excluded", "held", "missing", "mismatched")
    return groups.index(status_info(status).group), status_order(status)


def status_by_month_figure(months: Sequence[MonthStatusCount]) -> dict[str, Any]:
    labels = sorted({m.billing_month for m in months}, key=lambda d: (d is None, d or date.min))
    traces = []
    for status in sorted({m.status for m in months}, key=_chart_order):
        counts = {m.billing_month: m.invoices for m in months if m.status == status}
        traces.append(
            {
                "type": "bar",
                "name": status_info(status).label,
                "meta": status,
                "x": [month_label(month) for month in labels],
                "y": [counts.get(month, 0) for month in labels],
                "marker": {"color": status_info(status).color},
                "hovertemplate": "%{x}: %{y} invoices<extra>%{fullData.name}</extra>",
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            barmode="stack",
            legend={"orientation": "v", "traceorder": "reversed", "x": 1.02, "y": 1},
            xaxis={"type": "category", "title": {"text": "Billing month"}},
            yaxis={"title": {"text": "Invoices"}, "rangemode": "tozero", "automargin": True},
        ),
    }


def amounts_by_currency_figure(currencies: Sequence[CurrencyAmounts]) -> dict[str, Any]:
    shown = [c for c in currencies if c.currency is not None or c.matched or c.outstanding]

    def trace(name: str, color: str, amounts: list[Decimal], counts: list[int]) -> dict[str, Any]:
        return {
            "type": "bar",
            "name": name,
            "x": [currency_label(c.currency) for c in shown],
            "y": [float(a) for a in amounts],
            "text": [format_amount(a) for a in amounts],
            "customdata": counts,
            "textposition": "outside",
            "cliponaxis": False,
            "marker": {"color": color},
            "hovertemplate": "%{x} %{text} (%{customdata} invoices)<extra>" + name + "</extra>",
        }

    matched_color, outstanding_color = STATUSES["matched"].color, "#d32f2f"
    return {
        "data": [
            trace(
                "Matched",
                matched_color,
                [c.matched for c in shown],
                [c.matched_invoices for c in shown],
            ),
            trace(
                "Outstanding",
                outstanding_color,
                [c.outstanding for c in shown],
                [c.outstanding_invoices for c in shown],
            ),
        ],
        "layout": _layout(
            barmode="group",
            margin={"l": 60, "r": 20, "t": 24, "b": 50},
            xaxis={"type": "category", "title": {"text": "Currency"}},
            yaxis={"rangemode": "tozero", "tickformat": ",.0f", "automargin": True},
        ),
    }


def differences_figure(differences: Sequence[Difference]) -> dict[str, Any]:
    order = [d.external_id for d in reversed(differences)]  # largest at the top
    traces = []
    for status in sorted({d.status for d in differences}, key=status_order):
        rows = [d for d in differences if d.status == status]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": status_info(status).label,
                "meta": status,
                "y": [d.external_id for d in rows],
                "x": [float(d.difference) for d in rows],
                "text": [
                    f"{format_amount(d.difference)} {currency_label(d.currency)}" for d in rows
                ],
                "customdata": [
                    f"Metronome {amount_text(d.metronome_total)},"
                    f" NetSuite {amount_text(d.netsuite_total)}"
                    for d in rows
                ],
                "textposition": "auto",
                "cliponaxis": False,
                "marker": {"color": status_info(status).color},
                "hovertemplate": "%{y}<br>%{text}<br>%{customdata}<extra>%{fullData.name}</extra>",
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            barmode="relative",
            margin={"l": 20, "r": 110, "t": 30, "b": 50},
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            height=max(240, 34 * len(order) + 120),
            xaxis={
                "title": {"text": "NetSuite minus Metronome"},
                "tickformat": ",.2f",
                "zeroline": True,
                "zerolinecolor": "#9aa5b1",
                "automargin": True,
            },
            yaxis={
                "type": "category",
                "categoryorder": "array",
                "categoryarray": order,
                "automargin": True,
                "tickfont": {"family": "ui-monospace, monospace"},
            },
        ),
    }
