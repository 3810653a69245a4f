"""What the tests share: one of each helper, imported as ``support.<module>`` (``tests/`` is on
``sys.path``, pytest puts it there for ``tests/conftest.py``).

* :mod:`support.paths` — the checkout, the fixtures folder, the virtualenv's scripts;
* :mod:`support.ports` — a free loopback port;
* :mod:`support.project` — a project folder (ontology, shapes, queries, data) to point a server at;
* :mod:`support.server` — the real ``iopgraph serve`` in a subprocess (and the ``live_server``
  fixture), and an app served in a thread for the browser tests;
* :mod:`support.clients` — an ``httpx`` client on a server's base URL;
* the rest are the helpers of one group of tests: :mod:`~support.reliability`,
  :mod:`~support.conformance`, :mod:`~support.journeys`, :mod:`~support.steward`,
  :mod:`~support.sparql`, :mod:`~support.ldviews`, :mod:`~support.load`, :mod:`~support.browser`,
  :mod:`~support.oxigraph`, :mod:`~support.report` and :mod:`~support.requirements`.
"""
