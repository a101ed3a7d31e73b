"""The workflow's steps: each orchestrates the domain and the adapters it is given (as ports) for one state."""
