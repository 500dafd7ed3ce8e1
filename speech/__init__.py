"""Speech recognition (Vosk), for menus that listen as well as read keys.

Empty on purpose for now: the IVR reads keys only. Recognition will live
here so that a Vosk model is loaded once per process and every menu's
"wait for the caller's choice" can ask it, with the phrases each menu node
already carries in the menu file.
"""
