"""The course's part of a JupyterHub configuration: a grading server for the course, shared by
its instructors and TAs, in which Nbgrader > Formgrader works (docs/hub.md).

Load it at the end of the hub's own ``jupyterhub_config.py`` (authenticator, spawner, HTTPS stay
there)::

    load_subconfig("/opt/course/hub/jupyterhub_config.py")

What it adds, as in nbgrader's "one class, multiple graders" set-up:

- a JupyterHub *service* named after the course (``/services/autoencoders/``): JupyterLab run by
  the course's own Unix account (``grader-autoencoders``) in the course folder, with the
  formgrader and the course's nbgrader_config.py; its Jupyter Server settings come from
  ``hub/grader/`` (the header that lets the Formgrader tab frame formgrader);
- the group ``formgrade-autoencoders`` (the instructors' and TAs' hub logins) and a role that
  lets that group, and only it, open the service.

Settings, from the environment of the hub process, or edit the defaults here:

``AEUTILS_HUB_GRADERS``         hub logins of the instructors and TAs, comma-separated
``AEUTILS_HUB_COURSE_DIR``      the course folder (default: the checkout this file is in)
``AEUTILS_HUB_GRADER_ACCOUNT``  the Unix account that runs the service (default grader-<course>)
``AEUTILS_HUB_GRADING_PORT``    the service's port on 127.0.0.1 (default 9999)
``AEUTILS_HUB_PYTHON``          the course environment's Python (default: the hub's own)
``AEUTILS_COURSE_ID``           the course id (default autoencoders, as in nbgrader_config.py)
"""

import os
import sys
from pathlib import Path

import jupyterhub

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

HERE = Path(__file__).resolve().parent
COURSE_ID = os.environ.get("AEUTILS_COURSE_ID", "autoencoders")
COURSE_DIR = os.environ.get("AEUTILS_HUB_COURSE_DIR", str(HERE.parent))
GRADERS = sorted({u.strip() for u in os.environ.get("AEUTILS_HUB_GRADERS", "").split(",")
                  if u.strip()})
GRADER_ACCOUNT = os.environ.get("AEUTILS_HUB_GRADER_ACCOUNT", f"grader-{COURSE_ID}")
PORT = int(os.environ.get("AEUTILS_HUB_GRADING_PORT", "9999"))
PYTHON = os.environ.get("AEUTILS_HUB_PYTHON", sys.executable)
GROUP = f"formgrade-{COURSE_ID}"  # nbgrader's name for a course's graders

# the environment the grading server starts with: this folder's grader/ settings first, then the
# course environment's own (nbgrader's server and lab extensions)
environment = {
    "JUPYTERHUB_DEFAULT_URL": "/lab",
    "JUPYTER_CONFIG_PATH": os.pathsep.join([str(HERE / "grader"), f"{sys.prefix}/etc/jupyter"]),
    "JUPYTER_PATH": f"{sys.prefix}/share/jupyter",
    "PATH": os.pathsep.join([str(Path(PYTHON).parent), f"{sys.prefix}/bin", "/usr/bin", "/bin"]),
}
for name in ("AEUTILS_COURSE_ID", "AEUTILS_EXCHANGE_ROOT"):  # read by nbgrader_config.py
    if name in os.environ:
        environment[name] = os.environ[name]

service = {
    "name": COURSE_ID,
    "url": f"http://127.0.0.1:{PORT}",
    "command": [PYTHON, "-m", "jupyterhub.singleuser"],
    "user": GRADER_ACCOUNT,
    "cwd": COURSE_DIR,
    "environment": environment,
    "oauth_no_confirm": True,  # a service of the hub's own: no "authorize access?" page
}
if int(jupyterhub.__version__.split(".")[0]) >= 6:
    # The hub stops at start-up when a managed service is not up within this time (default
    # 30 s): JupyterLab's server took longer than that on a busy machine.
    service["timeout"] = 120
c.JupyterHub.services.append(service)
c.JupyterHub.load_groups.update({GROUP: {"users": GRADERS}})
c.JupyterHub.load_roles.append({
    "name": GROUP,
    "description": f"grade {COURSE_ID} in its grading server",
    "groups": [GROUP],
    "scopes": [f"access:services!service={COURSE_ID}", "list:services",
               f"read:services!service={COURSE_ID}"],
})
c.Authenticator.allowed_users.update(GRADERS)
