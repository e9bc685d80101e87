"""MNIST demo: routes to the Home, Explore, Train and Draw pages."""

import streamlit as st

from mnist_demo import ui

st.set_page_config(page_title="MNIST demo", page_icon=":material/draw:", layout="wide")
ui.language_selector()
st.sidebar.caption(ui.t("common.sidebar.book"))

pages = [
    st.Page("pages/home.py", title=ui.t("common.nav.home"), icon=":material/home:", default=True),
    st.Page(
        "pages/explore.py",
        title=ui.t("common.nav.explore"),
        icon=":material/grid_view:",
        url_path="explore",
    ),
    st.Page(
        "pages/train.py",
        title=ui.t("common.nav.train"),
        icon=":material/model_training:",
        url_path="train",
    ),
    st.Page(
        "pages/draw.py", title=ui.t("common.nav.draw"), icon=":material/draw:", url_path="draw"
    ),
]
st.navigation(pages).run()
