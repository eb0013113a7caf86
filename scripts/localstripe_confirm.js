
// --- Added by scripts/localstripe_server.py --------------------------------------------
// Stripe.js confirms a PaymentIntent created without a payment method: confirmCardPayment
// (clientSecret, {payment_method: {card}}) turns the card Element's input into a card
// PaymentMethod and confirms the intent with the publishable key, then runs 3-D Secure when
// the card asks for it. The stand-in above only authenticates; this confirms first.
(() => {
  const standIn = Stripe;
  Stripe = (key) => {
    const stripe = standIn(key);
    const authenticate = stripe.confirmCardPayment;
    stripe.confirmCardPayment = async (clientSecret, data = {}) => {
      const intent = clientSecret.match(/^(pi_\w+)_secret_/)[1];
      const card = data.payment_method && data.payment_method.card;
      let body;
      try {
        const response = await fetch(`${LOCALSTRIPE_BASE_API}/js.stripe.com/v3/payment_intents/${intent}/confirm`, {
          method: 'POST',
          body: JSON.stringify({key, client_secret: clientSecret, card: card && card.value ? card.value.card : null}),
        });
        body = await response.json().catch(() => ({}));
        if (response.status !== 200 || body.error) {
          return {error: body.error || {message: 'The payment could not be confirmed.'}};
        }
      } catch (err) {
        return {error: {message: String(err)}};
      }
      if (body.status !== 'requires_action') return {paymentIntent: body};
      const result = await authenticate(clientSecret);
      if (result.error) return result;
      if (result.paymentIntent.status === 'requires_payment_method') {
        return {error: {message: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.'}};
      }
      return result;
    };
    return stripe;
  };
})();
