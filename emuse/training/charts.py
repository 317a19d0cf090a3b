"""Figures and tables for the Train & Evaluate page (plotly express and pandas, no Streamlit).

Kept apart from the page so they can be tested, and so the page draws a job's
status without importing TensorFlow: everything here reads plain dictionaries from
``status.json`` and ``meta.json``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from emuse import registry
from emuse.labels import EMOTIONS


def format_duration(seconds: float | None) -> str:
    """``3725`` -> ``"1 h 2 min"``; ``None`` -> ``"estimating…"``."""
    if seconds is None:
        return "estimating…"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def progress_text(status: dict[str, Any]) -> str:
    """One line for the progress bar: phase, epoch and batch, time left."""
    phase = status.get("phase") or status.get("state", "")
    if phase != "training" or not status.get("epoch"):
        return f"{str(phase).capitalize()}…"
    return (
        f"Epoch {status['epoch']}/{status.get('epochs', '?')} · batch {status.get('batch')}/{status.get('batches')}"
        f" · about {format_duration(status.get('eta_s'))} left (at most; early stopping may end sooner)"
    )


def history_frame(history: dict[str, list[float]]) -> pd.DataFrame:
    """Long table (epoch, metric, split, value) of Keras' per-epoch logs."""
    rows = []
    for key, values in history.items():
        split = "validation" if key.startswith("val_") else "training"
        metric = key.removeprefix("val_")
        if metric not in ("loss", "accuracy"):
            continue
        rows += [{"epoch": i + 1, "metric": metric, "split": split, "value": v} for i, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["epoch", "metric", "split", "value"])


def history_figure(history: dict[str, list[float]]) -> go.Figure:
    """Loss and accuracy per epoch, training vs validation, side by side."""
    frame = history_frame(history)
    fig = px.line(
        frame,
        x="epoch",
        y="value",
        color="split",
        facet_col="metric",
        markers=True,
        category_orders={"metric": ["loss", "accuracy"], "split": ["training", "validation"]},
    )
    fig.update_yaxes(matches=None, showticklabels=True, title=None)
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    fig.update_layout(height=320, margin={"t": 30, "b": 10}, legend_title=None)
    return fig


def confusion_figure(metrics: dict[str, Any], normalized: bool = True) -> go.Figure:
    """The 7x7 confusion matrix as a heatmap: rows true label, columns predicted."""
    matrix = metrics["confusion_matrix"]
    labels = matrix.get("labels", list(EMOTIONS))
    values = matrix["normalized"] if normalized else matrix["counts"]
    fig = px.imshow(
        values,
        x=labels,
        y=labels,
        text_auto=".2f" if normalized else True,
        color_continuous_scale="Blues",
        zmin=0,
        zmax=1 if normalized else None,
        labels={"x": "predicted", "y": "true", "color": "share of true class" if normalized else "images"},
        aspect="equal",
    )
    fig.update_xaxes(side="top")
    fig.update_layout(height=460, margin={"t": 40, "b": 10})
    return fig


def per_class_frame(metrics: dict[str, Any]) -> pd.DataFrame:
    """Precision, recall, F1 and support per emotion, in canonical order."""
    frame = pd.DataFrame.from_dict(metrics["per_class"], orient="index")
    frame.index.name = "emotion"
    return frame[["precision", "recall", "f1", "support"]].reindex(list(EMOTIONS))


def comparison_frame(models: Iterable[registry.ModelInfo]) -> pd.DataFrame:
    """One row per registered model with its headline figures in words a person reads, best macro F1 first.

    Accuracy is in percent; a figure nobody measured yet is left empty and said so ("not evaluated"),
    never shown as "None".
    """
    rows = []
    for info in models:
        summary = registry.metrics_summary(info)
        accuracy = summary["accuracy"]
        epochs, seconds = summary["epochs"], summary["training_time_s"]
        trained = "—"
        if seconds is not None:
            trained = f"{epochs or '?'} epochs, {format_duration(seconds)}"
        rows.append(
            {
                "model": summary["model"],
                "default": bool(summary["default"]),
                "origin": "shipped" if registry.is_shipped(info.path) else "trained here",
                "architecture": summary["architecture"] or ("ensemble" if info.members else "—"),
                "accuracy": None if accuracy is None else round(100 * float(accuracy), 1),
                "macro_f1": summary["macro_f1"],
                "evaluated_on": summary["evaluated_on"] or "not evaluated",
                "trained": trained,
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values(["macro_f1", "model"], ascending=[False, True], na_position="last").reset_index(drop=True)


def comparison_figure(models: Iterable[registry.ModelInfo]) -> go.Figure | None:
    """Per-class F1 of every evaluated model side by side (None when no model has metrics)."""
    rows = []
    for info in models:
        metrics = info.meta.get("metrics") or {}
        for label, values in (metrics.get("per_class") or {}).items():
            rows.append({"model": info.name, "emotion": label, "f1": values["f1"]})
    if not rows:
        return None
    fig = px.bar(
        pd.DataFrame(rows),
        x="emotion",
        y="f1",
        color="model",
        barmode="group",
        category_orders={"emotion": list(EMOTIONS)},
        range_y=[0, 1],
    )
    fig.update_layout(height=340, margin={"t": 30, "b": 10})
    return fig
