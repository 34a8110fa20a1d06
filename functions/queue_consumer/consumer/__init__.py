"""The fan-out queue's consumer (lesson 21): reads SNS envelopes delivered to SQS."""
