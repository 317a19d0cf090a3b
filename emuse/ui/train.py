"""Train & Evaluate page widgets: the data inputs, the job forms, the job panel, the model comparison.

Jobs run in their own process (:mod:`emuse.training.jobs`); these widgets only start
them and read their ``status.json``, so the page renders without TensorFlow, a
refresh reattaches to a running job, and a second click never starts a duplicate.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from emuse import registry
from emuse.training import charts, jobs, paths
from emuse.training.architectures import ARCHITECTURES
from emuse.training.data import DataError
from emuse.training.data_checks import check_upload, quick_check
from emuse.ui import state


def data_inputs(key: str) -> tuple[str, UploadedFile | None]:
    """An upload box and, where the deployment configured data folders, a server path; returns (path, upload).

    A public deployment configures none, so visitors get no field to probe the server's files with.
    """
    upload = st.file_uploader("Upload fer2013.csv or a .zip of image folders", type=["csv", "zip"], key=f"{key}_up")
    if not paths.server_paths_enabled():
        return "", upload
    path = st.text_input(
        "…or a path on the server",
        placeholder="fer2013-train-val.zip",
        key=f"{key}_path",
        help="Inside the data folders this server allows (EMUSE_DATA_DIR, EMUSE_TRAIN_DATA_DIRS).",
    )
    return path.strip(), upload


def start(request: dict[str, Any], path: str, upload: UploadedFile | None) -> None:
    """Check the data quickly, start the job, remember it for this browser session."""
    try:
        if upload is not None:
            check_upload(upload.name, upload)
        elif path:
            allowed = paths.allowed_data_path(path)
            quick_check(allowed)
            request["data"] = str(allowed)
        else:
            st.error(
                "Choose the data: upload a file"
                + (" or type a path on the server." if paths.server_paths_enabled() else ".")
            )
            return
        job, started = jobs.start_job(request, (upload.name, upload) if upload is not None else None)
    except (DataError, registry.ModelError, jobs.JobError) as exc:
        st.error(str(exc))
        return
    if not started:
        st.warning("A job is already running (training uses every core); showing it instead of starting another.")
    st.session_state[state.TRAIN_JOB] = job.id
    st.rerun()


def shown_job(active: jobs.Job | None) -> jobs.Job | None:
    """The job to show: the running one, else the one this session started, else the latest."""
    return active or jobs.get_job(st.session_state.get(state.TRAIN_JOB, "")) or jobs.latest_job()


def job_panel(job_id: str, was_active: bool) -> None:
    """The job's progress (polled every 2 s while it runs, redrawing only this panel) or its outcome."""
    st.fragment(_job_panel, run_every=2.0 if was_active else None)(job_id, was_active)


def _job_panel(job_id: str, was_active: bool) -> None:
    job = jobs.get_job(job_id)
    if job is None:
        return
    status, request = job.status(), job.request()
    what = f"{request.get('kind', 'job')} · {request.get('arch') or request.get('model') or ''}"
    if status.get("state") in jobs.ACTIVE_STATES:
        st.subheader(f"Running: {what}")
        st.progress(float(status.get("progress") or 0.0), text=charts.progress_text(status))
        if not job.cancel_requested and st.button("Cancel", type="secondary"):
            job.cancel()
        if job.cancel_requested:
            st.info("Cancelling after the current batch…")
    elif was_active:
        st.rerun()  # finished while we watched: redraw the whole page (form, results, model list)
    elif status.get("state") == "done":
        metrics = status.get("metrics") or {}
        st.success(
            f"Finished {what}: model **{status.get('model')}**, accuracy {metrics.get('accuracy', 0):.1%}, "
            f"macro F1 {metrics.get('macro_f1', 0):.3f} on {metrics.get('split')}."
        )
    elif status.get("state") == "cancelled":
        st.info(f"Cancelled {what}. Nothing was saved.")
        resume_button(job)
    else:
        st.error(f"{what} failed: {status.get('error', 'unknown error')}")
        resume_button(job)
        with st.expander("Log"):
            st.code(job.log_tail() or "(empty)")
    history = status.get("history") or {}
    if history.get("loss") and status.get("state") != "done":  # a finished model's curves are in its details
        st.plotly_chart(charts.history_figure(history), key=f"curves_{job_id}")


def task_tabs() -> tuple[Any, Any]:
    """The Train / Evaluate tabs; keyed, so the one a person picked stays picked across reruns and jobs."""
    train_tab, eval_tab = st.tabs(["Train a model", "Evaluate a model"], key=state.TRAIN_TAB)
    return train_tab, eval_tab


def resume_button(job: jobs.Job) -> None:
    """Go on with a stopped training from its last checkpointed epoch."""
    epochs = jobs.resumable_epochs(job)
    if not epochs:
        return
    if st.button(f"Resume from epoch {epochs + 1}", type="primary", key=f"resume_{job.id}"):
        try:
            jobs.resume_job(job)
        except jobs.JobError as exc:
            st.error(str(exc))
            return
        st.session_state[state.TRAIN_JOB] = job.id
        st.rerun()


#: Mixup strengths offered (Beta(alpha, alpha)); 0.2 is the usual choice for image classification.
MIXUP_CHOICES = (0.0, 0.2, 0.4)


def train_form(busy: bool) -> None:
    """Choose data, architecture, epochs, batch size, a name, a teacher and mixup; start a training job.

    The form is drawn even while a job runs (its button disabled): a widget that is not drawn
    loses its value, which is how the form used to forget the person's choices after every job.
    """
    with st.form("train_form"):
        path, upload = data_inputs("train")
        arch = st.selectbox(
            "Architecture",
            list(ARCHITECTURES),
            index=list(ARCHITECTURES).index("emuse_resnet"),
            format_func=lambda name: f"{name}: {ARCHITECTURES[name].description}",
            key="train_arch",
        )
        col1, col2, col3 = st.columns(3)
        epochs = col1.number_input("Epochs (at most)", 1, 1000, 30, key="train_epochs")
        batch_size = col2.number_input("Batch size", 1, 1024, 64, key="train_batch")
        name = col3.text_input("Model name", placeholder="automatic", key="train_name")
        col1, col2 = st.columns([2, 1])
        teacher = col1.selectbox(
            "Learn from a teacher (distillation)",
            [None, *(info.name for info in registry.list_models())],
            format_func=lambda model: "no teacher: the labels only" if model is None else model,
            help="Half of each training target becomes this model's scores for the face: how much of each "
            "emotion it sees, which a one-word label cannot say. Scoring the faces first takes about a minute.",
            key="train_teacher",
        )
        mixup = col2.selectbox(
            "Blend faces (mixup)",
            MIXUP_CHOICES,
            format_func=lambda alpha: "off" if not alpha else f"alpha {alpha:g}",
            help="Each training face is blended with another, and its target likewise: a regulariser for "
            "long runs, which otherwise learn the training faces by heart.",
            key="train_mixup",
        )
        if st.form_submit_button("Start training", type="primary", disabled=busy):
            request = {"kind": "train", "arch": arch, "epochs": int(epochs), "batch_size": int(batch_size)}
            if teacher:
                request["teacher"] = teacher
            if mixup:
                request["mixup"] = float(mixup)
            try:
                request["name"] = registry.check_name(name) if name.strip() else None
                start(request, path, upload)
            except registry.ModelError as exc:
                st.error(str(exc))


#: The splits an evaluation can use, in words (FER2013's own names in brackets).
SPLIT_LABELS = {
    "val": "val/ (PublicTest; the CSV's PublicTest rows)",
    "test": "test/ (PrivateTest)",
    "train": "train/ (Training)",
}


def eval_form(busy: bool) -> None:
    """Choose a registered model, data and split; start an evaluation job."""
    with st.form("eval_form"):
        names = [info.name for info in registry.list_models()]
        model = st.selectbox("Model", names, key="eval_model")
        path, upload = data_inputs("eval")
        split = st.selectbox("Split", list(SPLIT_LABELS), format_func=SPLIT_LABELS.get, key="eval_split")
        save = st.checkbox("Save the figures with the model", value=True, key="eval_save")
        if st.form_submit_button("Evaluate", disabled=busy) and model:
            start({"kind": "evaluate", "model": model, "split": split, "save": save}, path, upload)


def models_comparison(models: list[registry.ModelInfo]) -> None:
    """Every registered model's accuracy and macro F1, as a table and a chart."""
    column = st.column_config
    st.dataframe(
        charts.comparison_frame(models),
        hide_index=True,
        column_order=["model", "default", "origin", "architecture", "accuracy", "macro_f1", "evaluated_on", "trained"],
        column_config={
            "model": column.TextColumn("Model"),
            "default": column.CheckboxColumn("Default", width="small"),
            "origin": column.TextColumn("From"),
            "architecture": column.TextColumn("Network"),
            "accuracy": column.ProgressColumn("Accuracy", format="%.1f%%", min_value=0, max_value=100),
            "macro_f1": column.ProgressColumn("Macro F1", format="%.3f", min_value=0, max_value=1),
            "evaluated_on": column.TextColumn("Evaluated on"),
            "trained": column.TextColumn("Training"),
        },
    )
    if (figure := charts.comparison_figure(models)) is not None:
        st.plotly_chart(figure, key="compare")


def model_details(models: list[registry.ModelInfo], job: jobs.Job | None) -> None:
    """One model's saved evaluation (the one the last job made, by default): confusion matrix, per-class table."""
    names = [info.name for info in models]
    finished = job.status() if job is not None else {}
    preferred = finished.get("model") if finished.get("model") in names else names[0]
    picked = st.selectbox("Details for", names, index=names.index(preferred))
    chosen = registry.read_meta(models[names.index(picked)].path)
    metrics = chosen.meta.get("metrics")
    if not metrics:
        st.info(f"{chosen.name} has no saved evaluation yet: use **Evaluate a model** with FER2013 to add one.")
        return
    st.caption(f"On {metrics.get('split', '?')} ({metrics.get('n', '?')} images) of {metrics.get('data', '?')}")
    normalized = st.toggle("Row-normalized (share of each true emotion)", value=True)
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.confusion_figure(metrics, normalized), key="confusion")
    right.dataframe(charts.per_class_frame(metrics), column_config={"support": st.column_config.NumberColumn()})
    if chosen.meta.get("history"):
        st.plotly_chart(charts.history_figure(chosen.meta["history"]), key="model_curves")


def delete_models(models: list[registry.ModelInfo]) -> None:
    """Delete a model a person trained (the shipped ones are part of eMuse and stay)."""
    trained = [info.name for info in models if not registry.is_shipped(info.path)]
    if not trained:
        return
    with st.expander("Delete a model you trained"), st.form("delete_model"):
        name = st.selectbox("Model", trained, key="delete_model_name")
        sure = st.checkbox("Yes, delete its files", key="delete_model_sure")
        if st.form_submit_button("Delete"):
            if not sure:
                st.warning("Tick “Yes, delete its files” first.")
                return
            try:
                registry.delete_model(name)
            except registry.ModelError as exc:
                st.error(str(exc))
                return
            st.toast(f"Deleted {name}.")
            st.rerun()
