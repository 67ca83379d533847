"""One module per kind of resident input or conversation step; bot.conversation.table maps inputs to them."""
