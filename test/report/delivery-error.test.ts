import { describe, expect, it } from 'vitest';
import { deliveryErrorFrom, ReportDeliveryError } from '../../lambdas/core/report/delivery-error.ts';

const CONTEXT = {
  from: 'Reports <reports@example.com>',
  to: ['ops@example.com', 'cfo@example.com'],
  region: 'eu-west-1',
};

function sesError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('SES failures in words a user can act on', () => {
  it('names the unverified sender and how to verify it', () => {
    const error = deliveryErrorFrom(
      sesError(
        'MessageRejected',
        'Email address is not verified. The following identities failed the check in region EU-WEST-1: reports@example.com',
      ),
      CONTEXT,
    );
    expect(error).toBeInstanceOf(ReportDeliveryError);
    expect(error.name).toBe('ReportDeliveryError');
    expect(error.failure).toBe('sender-not-verified');
    expect(error.message).toContain('reports@example.com');
    expect(error.message).toContain(
      'aws sesv2 create-email-identity --email-identity reports@example.com --region eu-west-1',
    );
    expect(error.retryable).toBe(false);
  });

  it('explains the sandbox when a recipient is not verified', () => {
    const error = deliveryErrorFrom(
      sesError(
        'MessageRejected',
        'Email address is not verified. The following identities failed the check in region EU-WEST-1: cfo@example.com',
      ),
      CONTEXT,
    );
    expect(error.failure).toBe('recipient-not-verified');
    expect(error.message).toContain('sandbox');
    expect(error.message).toContain('cfo@example.com');
    expect(error.message).not.toContain('ops@example.com is not verified');
    expect(error.message).toContain('Request production access');
  });

  it('says sending is paused, and throttling is worth a retry', () => {
    expect(deliveryErrorFrom(sesError('AccountSendingPausedException', 'paused'), CONTEXT).failure).toBe(
      'sending-paused',
    );
    const throttled = deliveryErrorFrom(sesError('Throttling', 'Maximum sending rate exceeded.'), CONTEXT);
    expect(throttled.failure).toBe('throttled');
    expect(throttled.retryable).toBe(true);
    // Scheduler only retries deliveries it could not make; Lambda's async retry reruns the report.
    expect(throttled.message).toContain("run again once by Lambda's asynchronous retry");
    expect(throttled.message).not.toMatch(/scheduler/i);
    expect(deliveryErrorFrom(sesError('Throttling', 'Daily message quota exceeded.'), CONTEXT).failure).toBe(
      'daily-quota-exceeded',
    );
  });

  it('points at the IAM policy when the role may not send', () => {
    const error = deliveryErrorFrom(
      sesError('AccessDenied', "User is not authorized to perform `ses:SendRawEmail' on resource"),
      CONTEXT,
    );
    expect(error.failure).toBe('access-denied');
    expect(error.message).toContain('ses:SendRawEmail');
  });

  it("traces a missing configuration set to the sender identity's default, as the report names none", () => {
    const error = deliveryErrorFrom(
      sesError('ConfigurationSetDoesNotExistException', 'Configuration set <events> does not exist.'),
      CONTEXT,
    );
    expect(error.failure).toBe('configuration-set-missing');
    expect(error.message).toContain('default configuration set of the identity reports@example.com');
    expect(error.message).toContain('example.com');
    expect(error.message).not.toContain('settings');
    expect(error.retryable).toBe(false);
  });

  it('keeps the original error as the cause and copes with non-errors', () => {
    const original = sesError('SomethingNew', 'odd');
    expect(deliveryErrorFrom(original, CONTEXT).cause).toBe(original);
    expect(deliveryErrorFrom('a string', CONTEXT).failure).toBe('unknown');
  });
});
