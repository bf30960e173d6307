// The RunnerServer module; see DESIGN.md §8.
