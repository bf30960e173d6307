// The EngineServer module; see DESIGN.md §8.
