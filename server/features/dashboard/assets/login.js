// The dashboard's sign-in form: POST /auth/login (JSON, same origin), which sets the HttpOnly
// session cookie, then reload /admin, which now shows the dashboard (or says the account is no admin).
'use strict';
const form = document.getElementById('login');
const error = document.getElementById('login-error');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.textContent = '';
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;
  if (!email || !password) {
    error.textContent = 'Enter your email and password.';
    return;
  }
  try {
    const res = await fetch('/auth/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (res.ok) {
      location.reload();
      return;
    }
    const body = await res.json().catch(() => null);
    error.textContent = (body && body.error && body.error.message) || `Sign-in failed (${res.status}).`;
  } catch {
    error.textContent = 'The server did not answer; try again.';
  }
});
