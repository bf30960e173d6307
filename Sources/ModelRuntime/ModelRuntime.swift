// The ModelRuntime module; see DESIGN.md §8.
