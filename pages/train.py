"""Train & Evaluate: start a training or evaluation job, watch it, compare registered models.

Wiring only: the widgets live in ``emuse.ui.train``, the jobs in ``emuse.training.jobs``.
"""

import streamlit as st

from emuse import config, registry
from emuse.training import jobs
from emuse.ui import runtime
from emuse.ui import train as train_ui

runtime.enter_through_home()  # first: see emuse/ui/runtime.py
st.title("🧠 Train & Evaluate")
st.caption(
    "Train an emotion model on FER2013 (the Kaggle CSV or train/ and test/ image folders, as a file on this server "
    "or an upload), then see where it confuses one emotion for another."
)

try:
    active = jobs.active_job()
except config.ConfigError as exc:  # e.g. EMUSE_DATA_DIR names a file: say so, not a traceback
    st.error(str(exc))
    st.stop()
job = train_ui.shown_job(active)
if job is not None:
    train_ui.job_panel(job.id, active is not None)

train_tab, eval_tab = train_ui.task_tabs()
with train_tab:
    train_ui.train_form(busy=active is not None)
with eval_tab:
    train_ui.eval_form(busy=active is not None)

st.divider()
st.subheader("Registered models")
models = registry.list_models()
if not models:
    st.info("No models yet. Train one above, or restore `models/` from git.")
    st.stop()
train_ui.models_comparison(models)
train_ui.model_details(models, job)
train_ui.delete_models(models)
