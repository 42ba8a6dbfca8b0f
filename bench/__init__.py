"""The benchmark (`make bench`): a quota-scale account on the emulator, measured calls, time, memory."""
