"""What Sitrep shows in Discord and how it is sent: replies, buttons, forms and menus.

:mod:`bot.ui.replies` sends a rendered reply to a message or an interaction;
:mod:`bot.ui.views` and :mod:`bot.ui.feedback` are the members' buttons;
:mod:`bot.ui.moderation` the moderators' check, mod-log, forms and history pages;
:mod:`bot.ui.gap_views` the gap report's menus. The commands are in :mod:`bot.cogs`.
"""
