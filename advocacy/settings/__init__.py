"""Settings modules: ``dev`` (default), ``test`` and ``production``.

Everything configurable is read from the environment through the single ``env``
object in ``advocacy.settings.environment``; docs/configuration.md lists every variable.
"""
