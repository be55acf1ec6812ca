"""Device emulators for tests and the demo, speaking the real byte protocols.

``printer`` is a virtual ESC/POS network printer (TCP), ``display`` and ``scale`` are a
customer pole display and a CAS scale on a pty pair, ``escpos_text`` decodes ESC/POS
bytes back to text. Import from the submodules; this package exports nothing so that
``python -m drivers.emulators.printer`` runs cleanly.
"""
