"""The guide: what a person does in each situation, in their region, with the law behind each step."""
