"""WeChat's side: reading inbound deliveries, answering each once, and the API client."""
