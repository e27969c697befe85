"""Small glue shared by the portal's HTML views. Both live lower down, so that the
apps' own pages use them without importing the portal: ``requires`` in
``accounts.decorators``, ``form_errors_from`` in ``advocacy.core.forms``."""

from accounts.decorators import requires
from advocacy.core.forms import form_errors_from

__all__ = ["form_errors_from", "requires"]
