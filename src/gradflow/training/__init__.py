"""Training: the one loop (``loop.train`` over any optax optimizer, with per-step records) and what feeds it.

- ``loop``: ``train``, ``minibatches``, ``full_batch``, the built-in ``RECORDS``;
- ``sweep``: ``sweep_rates`` (train over learning rates x seeds at once), ``best_rate`` (judge each side at
  its best rate, counting the runs that diverged) and ``judge_runs`` (that judgement for any set of runs);
- ``clipping``: gradient norms and clipping by hand (checked against optax), the cliff of chapter 9;
- ``optimizers``, ``schedules``: the optimizers and learning-rate schedules of chapter 10 by name;
- ``descent``: gradient descent on a quadratic (chapter 2's stability limit).
"""
