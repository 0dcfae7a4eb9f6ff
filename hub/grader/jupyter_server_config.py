"""Jupyter Server settings of the course's grading server (docs/hub.md).

``hub/jupyterhub_config.py`` puts this folder first on the grading server's JUPYTER_CONFIG_PATH.
To use it for a server of your own instead (an instructor who grades in their own JupyterLab),
copy this file into that server's ``~/.jupyter/``.
"""

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

# JupyterHub 4.1 and later make every single-user page send "Content-Security-Policy:
# frame-ancestors 'none'", so JupyterLab's Formgrader tab (an iframe of /formgrader) shows
# "refused to connect" (nbgrader #1870, #1947). Let pages of the same origin frame it, nothing
# else. It has to be the server's setting: c.JupyterHub.tornado_settings changes nothing here.
c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}
