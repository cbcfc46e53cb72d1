"""tinyir's host runtime with the CMSIS-NN API: C sources in Include/ and
Source/. `tinyir.backends.cmsis_nn_host.sources` says what to compile, for it
or (the `CMSIS_NN` switch) for a real CMSIS-NN checkout."""
