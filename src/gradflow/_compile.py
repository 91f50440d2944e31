"""Compiler options shared by the library.

On a CPU, compiling a jitted function often costs more than running it. XLA's lowest backend
optimization level compiles 2-5x faster and runs slower: it suits work that runs once or is small
(measurements at initialization, small random draws, integer index work). Results equal a fully
optimized build's up to floating-point rounding (integers exactly).
"""

FAST_COMPILE = {"xla_backend_optimization_level": 0}
