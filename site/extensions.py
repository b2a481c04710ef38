"""Flask extensions, created here and bound to the app in create_app.

Talisman is not here: it keeps its settings on the instance, so each app gets its own (security/headers.py).
"""
from flask_babel import Babel
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
