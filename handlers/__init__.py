"""One module per kind of resident input or conversation step; bot.conversation maps inputs to them."""
