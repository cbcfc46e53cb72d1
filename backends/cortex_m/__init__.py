"""Bare-metal Cortex-M runs under QEMU (mps2-an386): startup code, linker
script and the Python build/run helper (`tinyir.backends.cortex_m.build`)."""
