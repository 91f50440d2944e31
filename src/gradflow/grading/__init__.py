"""Graded exercises: learner checks with hints, student notebooks from masters, isolated batch grading.

- ``checks``: tests, hints and running one test (:class:`~gradflow.grading.checks.Suite`)
- ``checker``: the learner's ``check("q1")`` (:class:`Checker`)
- ``generate``: student notebooks and public tests from the masters in ``exercises/masters``
- ``notebooks``: reading the code cells of a notebook (.ipynb, or a MyST master)
- ``worker`` and ``runner``: grading submissions, each in its own process with time and memory limits
- ``results``: atomic writing of per-submission results, the score tables and feedback

Command line: ``python -m gradflow.grading --help``.
"""

from gradflow.grading.checker import Checker

__all__ = ["Checker"]
