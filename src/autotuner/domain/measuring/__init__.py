"""What invocations measured: Lambda's REPORT lines, a batch's reports, and robust statistics over them."""
