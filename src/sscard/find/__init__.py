"""Finding a person (R-FIND-1) and what staff see of them: the person with balance and cards."""
