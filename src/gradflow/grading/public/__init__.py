"""Public tests of the graded exercises, one module per chapter, generated from ``exercises/masters``.

Do not edit: run ``python -m gradflow.grading generate``.
"""
