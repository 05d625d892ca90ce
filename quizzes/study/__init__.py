"""The study engine: what a learner studies next and what their answers do.

- `session`: study scopes, the next question, showing it, answering, rating, undo, bury, suspend, flag;
- `due_queue`: the queue's one SQL statement and the question to show;
- `scheduling`: FSRS-6 through the `fsrs` package, and a learner's study day;
- `banks` and `catalogue`: loading question banks and the service catalogue from content/;
- `guest_merge`: moving a guest's study history into the account they sign up or log in to;
- `views` and `urls`: the /study/ pages.

The models stay in quizzes/models.py (the `quizzes` app owns their tables).
"""
