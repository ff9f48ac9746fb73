#!/usr/bin/env python3
"""A stand-in rendering of cache-dashboard.json for machines without Grafana.

It reads the dashboard, runs each panel's own PromQL (the `expr` of each
target, unchanged) through Prometheus's HTTP API (/api/v1/query_range)
over a window, and draws the panels where the dashboard's gridPos puts
them (24 columns; a row unit is Grafana's 30 px), with their titles,
units and legends. It is not Grafana: no interaction, no thresholds, a
legend is the series' labels. run-demo.sh (beside it) makes the run that
docs/guide/dashboard.png shows and calls it.

    python3 examples/grafana/render.py --prometheus http://127.0.0.1:9090 \\
        --start 1700000000 --end 1700000420 --out docs/guide/dashboard.png \\
        [--span FROM:TO:LABEL]... [--mark AT:LABEL]... [--step 5]

Needs matplotlib (pip install matplotlib).
"""

import argparse
import datetime as dt
import io
import json
import math
import os
import sys
import urllib.parse
import urllib.request

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# Grafana's dark theme, roughly.
BG, PANEL, GRID, TEXT, DIM = "#111217", "#181b1f", "#2c3037", "#ccccdc", "#8e8e9e"
PALETTE = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2",
           "#b877d9", "#705da0", "#37872d", "#fade2a", "#c4162a", "#1f60c4"]


def query_range(base, expr, start, end, step):
    params = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{base}/api/v1/query_range?{params}", timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]["result"]


def legend(metric, target, many_targets):
    fmt = target.get("legendFormat")
    if fmt and fmt != "__auto":
        out = fmt
        for k, v in metric.items():
            out = out.replace("{{" + k + "}}", v).replace("{{ " + k + " }}", v)
        return out
    labels = ", ".join(f"{k}={v}" for k, v in sorted(metric.items()) if k != "__name__")
    if many_targets:
        # Which query it came from: the metric's name, as Grafana's auto legend would.
        name = target["expr"]
        for word in name.replace("(", " ").replace(")", " ").replace("{", " ").split():
            if word.startswith("cache_"):
                name = word.split("[")[0]
                break
        return f"{name} {{{labels}}}" if labels else name
    return labels or target["expr"]


def unit_formatter(unit):
    def fmt(v, _pos=None):
        if unit == "percentunit":
            return f"{v * 100:.0f}%"
        if unit == "s":
            if v == 0:
                return "0"
            if abs(v) < 1e-3:
                return f"{v * 1e6:.0f} µs"
            if abs(v) < 1:
                return f"{v * 1e3:.3g} ms"
            return f"{v:.3g} s"
        suffix = {"reqps": " req/s", "ops": " ops/s"}.get(unit, "")
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return f"{v / 1000:.3g}K{suffix}"
        return f"{v:.3g}{suffix}"
    return FuncFormatter(fmt)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dashboard", default=os.path.join(HERE, "cache-dashboard.json"))
    ap.add_argument("--prometheus", default="http://127.0.0.1:9090")
    ap.add_argument("--start", type=float, required=True, help="unix seconds")
    ap.add_argument("--end", type=float, required=True, help="unix seconds")
    ap.add_argument("--step", type=float, default=5)
    ap.add_argument("--span", action="append", default=[], help="FROM:TO:LABEL, shaded")
    ap.add_argument("--mark", action="append", default=[], help="AT:LABEL, a vertical line")
    ap.add_argument("--width", type=float, default=1600, help="pixels")
    ap.add_argument("--verify", default="?", help="the service's verify= fraction, for the header")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "docs", "guide", "dashboard.png"))
    args = ap.parse_args()

    with open(args.dashboard) as f:
        board = json.load(f)
    panels = [p for p in board["panels"] if p.get("type") == "timeseries"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)

    dpi = 100
    unit_px = args.width / 24 * 0.55  # a row unit: Grafana's 30 px on a ~1200 px wide board, scaled
    header_px = 56
    height = rows * unit_px + header_px
    fig = plt.figure(figsize=(args.width / dpi, height / dpi), dpi=dpi, facecolor=BG)
    when = dt.datetime.fromtimestamp(args.start, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    fig.text(0.006, 1 - 16 / height, f"{board['title']}  ·  rest_service example, "
             f"PostgreSQL + Redis, verify={args.verify}  ·  {when} UTC, "
             f"{(args.end - args.start) / 60:.0f} min",
             color=TEXT, fontsize=13, weight="bold", va="top")
    fig.text(0.006, 1 - 34 / height, "rendered by examples/grafana/render.py from the "
             "dashboard's queries (not Grafana)", color=DIM, fontsize=9, va="top")

    spans = [s.split(":", 2) for s in args.span]
    marks = [m.split(":", 1) for m in args.mark]
    to_dt = lambda t: dt.datetime.fromtimestamp(float(t), dt.timezone.utc)  # noqa: E731
    pad = 6 / args.width
    empty = []
    for panel in panels:
        g = panel["gridPos"]
        x0, w = g["x"] / 24 + pad, g["w"] / 24 - 2 * pad
        top = header_px + g["y"] * unit_px
        h_px = g["h"] * unit_px
        # The panel's frame, its title, then the plot inside.
        frame = fig.add_axes([x0, 1 - (top + h_px - 6) / height, w, (h_px - 12) / height])
        frame.set_facecolor(PANEL)
        frame.set_xticks([])
        frame.set_yticks([])
        for s in frame.spines.values():
            s.set_color(GRID)
        frame.set_zorder(0)
        fig.text(x0 + 8 / args.width, 1 - (top + 12) / height, panel["title"], color=TEXT,
                 fontsize=10.5, weight="bold", va="top")

        targets = panel.get("targets", [])
        series = []
        for t in targets:
            for r in query_range(args.prometheus, t["expr"], args.start, args.end, args.step):
                pts = [(to_dt(ts), float(v)) for ts, v in r["values"]]
                pts = [(a, b) for a, b in pts if math.isfinite(b)]
                if pts:
                    series.append((legend(r["metric"], t, len(targets) > 1), pts))
        series.sort(key=lambda s: s[0])
        if not series:
            empty.append(panel["title"])

        ncol = 1 if len(series) <= 3 else 2 if len(series) <= 8 else 3
        lines_px = 15 * math.ceil(max(len(series), 1) / ncol)
        legend_px = min(lines_px, h_px * 0.42)
        plot_top = top + 34
        plot_bottom = top + h_px - 14 - legend_px - 16
        ax = fig.add_axes([x0 + 70 / args.width, 1 - plot_bottom / height,
                           w - 82 / args.width, (plot_bottom - plot_top) / height])
        ax.set_facecolor(PANEL)
        ax.set_zorder(1)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.grid(color=GRID, linewidth=0.6)
        ax.tick_params(colors=DIM, labelsize=8, length=0)
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
        ax.yaxis.set_major_formatter(unit_formatter(unit))
        minutes = (args.end - args.start) / 60
        ax.xaxis.set_major_locator(mdates.MinuteLocator(
            interval=max(1, math.ceil(minutes / 8)), tz=dt.timezone.utc))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=dt.timezone.utc))
        ax.set_xlim(to_dt(args.start), to_dt(args.end))
        handles = []
        for i, (name, pts) in enumerate(series):
            xs, ys = zip(*pts)
            (line,) = ax.plot(xs, ys, color=PALETTE[i % len(PALETTE)], linewidth=1.4, label=name)
            handles.append(line)
        values = [v for _, pts in series for _, v in pts]
        lo, hi = (min(values), max(values)) if values else (0, 0)
        if lo >= 0:
            # Grafana starts such an axis at 0; all zeros: 0 to 1.
            ax.set_ylim(0, hi * 1.1 if hi > 0 else 1)
        for a, b, label in spans:
            ax.axvspan(to_dt(a), to_dt(b), color="#f2495c", alpha=0.16, linewidth=0)
            ax.text(to_dt(a), 0.97, " " + label, transform=ax.get_xaxis_transform(),
                    color="#ff7383", fontsize=7.5, va="top", zorder=5,
                    bbox=dict(facecolor=PANEL, alpha=0.75, linewidth=0, pad=1))
        for at, label in marks:
            ax.axvline(to_dt(at), color="#8ab8ff", linewidth=1, linestyle="--")
            ax.text(to_dt(at), 0.84, " " + label, transform=ax.get_xaxis_transform(),
                    color="#8ab8ff", fontsize=7.5, va="top", zorder=5,
                    bbox=dict(facecolor=PANEL, alpha=0.75, linewidth=0, pad=1))
        if handles:
            leg = fig.legend(handles=handles, loc="upper left", ncol=ncol, frameon=False,
                             fontsize=7.5, labelcolor=TEXT, handlelength=1.4,
                             borderaxespad=0, columnspacing=1.5, labelspacing=0.25,
                             bbox_to_anchor=(x0 + 8 / args.width,
                                             1 - (plot_bottom + 18) / height))
            leg.set_zorder(2)
        else:
            ax.text(0.5, 0.5, "No data", transform=ax.transAxes, color=DIM,
                    ha="center", va="center")

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor=BG)
    plt.close(fig)
    # Fewer colours, a much smaller file; the picture does not change visibly.
    from PIL import Image

    buf.seek(0)
    img = Image.open(buf).convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT)
    img.save(args.out, optimize=True)
    print(f"{args.out}: {img.width}x{img.height}, {os.path.getsize(args.out)} bytes")
    if empty:
        print("panels with no data: " + "; ".join(empty), file=sys.stderr)


if __name__ == "__main__":
    main()
