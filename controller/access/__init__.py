"""Who may get in, for how long, and what they may hear: the login throttle, login tokens and the
server-side sessions behind them, account care (passwords, deactivation, deletion), and audio scope.

Import the modules themselves (`controller.access.throttle`, ...): this package re-exports nothing, so
that loading one of them never drags in the others.
"""
