"""The Train page (placeholder until its issue lands)."""

import streamlit as st

from mnist_demo import ui

st.title(ui.t("common.nav.train"))
