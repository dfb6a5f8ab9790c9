"""Every ModalScreen: questions, pickers, forms and views that sit over a screen."""
